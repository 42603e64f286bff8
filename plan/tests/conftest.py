import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from actiontables.tests.factories import ActionTableFactory, ProgressUpdateFactory
from grants.models import Round
from grants.tests.factories import AwardFactory, FundFactory, RoundFactory
from indicators.models import Geography
from indicators.reference import load_geographies
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from issues.models import Issue
from issues.tests.factories import IssueFactory
from plan.models import Outcome
from plan.tests.factories import (
    ConsultationFactory,
    OutcomeFactory,
    PlanVersionFactory,
    RiskFactorFactory,
    StrategyFactory,
)


@pytest.fixture(autouse=True)
def geographies(db):
    load_geographies()


def _at(year, month=6, day=15):
    return timezone.make_aware(datetime.datetime(year, month, day, 12, 0))


@pytest.fixture
def known_plan(db):
    """A plan whose 2024 report has known figures (see test_reports.py for each number).

    Housing and mental health: 2 updates published in 2024 by its table, an outcome moving from
    20 (2020) to 17 (2024), 2 awards for 2024 ($150,000, one not listed by name), 7 issues.
    Intimate partner violence: 1 update, an outcome with no figure after its baseline, 2 issues
    (shown as "fewer than 5"), a consultation in 2024.
    """
    halton = Geography.objects.get(slug="halton")
    oakville = Geography.objects.get(slug="oakville")
    plan = PlanVersionFactory(adopted_on=datetime.date(2022, 3, 1),
                              published_on=datetime.date(2022, 3, 8))
    fund = FundFactory()
    housing = RiskFactorFactory(plan=plan, name="Homelessness", order=1,
                                issue_topics=["housing", "mental_health"])
    housing.funds.set([fund])
    ipv = RiskFactorFactory(plan=plan, name="Intimate partner violence", order=2,
                            issue_topics=["ipv"])
    RiskFactorFactory(plan=plan, name="Low income", is_priority=False)

    shelter = ActionTableFactory(name="Homelessness Action Table", slug="homelessness-t")
    violence = ActionTableFactory(name="IPV Action Table", slug="ipv-t")
    for day in (datetime.date(2024, 3, 1), datetime.date(2024, 9, 1)):
        ProgressUpdateFactory(table=shelter, date=day, status="published",
                              title=f"Shelter update {day:%B}")
    ProgressUpdateFactory(table=shelter, date=datetime.date(2024, 10, 1), status="draft")
    ProgressUpdateFactory(table=shelter, date=datetime.date(2023, 10, 1), status="published")
    ProgressUpdateFactory(table=violence, date=datetime.date(2024, 5, 1), status="published",
                          title="Mapping supports")

    coordinated = StrategyFactory(plan=plan, name="Coordinated access", risk_factors=[housing],
                                  tables=[shelter])
    supports = StrategyFactory(plan=plan, name="Closing gaps", risk_factors=[ipv],
                               tables=[violence])
    placements = IndicatorFactory(name="People in emergency shelter", slug="in-shelter",
                                  unit="count", decimals=0)
    for period, value in (("2020", 20), ("2022", 19), ("2024", 17)):
        ObservationFactory(indicator=placements, geography=halton, period=period, value=value)
    ObservationFactory(indicator=placements, geography=oakville, period="2025", value=1)
    OutcomeFactory(strategy=coordinated, indicator=placements, statement="Fewer people in shelter",
                   baseline_period="2020", baseline_value=Decimal("20"))
    reached = IndicatorFactory(name="Survivors reached", slug="survivors-reached")
    OutcomeFactory(strategy=supports, indicator=reached, statement="More survivors reached",
                   direction=Outcome.Direction.INCREASE, baseline_period="2021",
                   baseline_value=Decimal("5"))

    round_2024 = RoundFactory(fund=fund, funding_year=2024)
    AwardFactory(application__round=round_2024, fund=fund, amount=Decimal("100000"),
                 application__org_legal_name="Shelter Friends",
                 application__program_title="Night outreach")
    AwardFactory(application__round=round_2024, fund=fund, amount=Decimal("50000"),
                 application__publish_consent=False)
    AwardFactory(application__round=RoundFactory(fund=fund, funding_year=2023), fund=fund)
    AwardFactory()  # another fund, another year

    for topic, count in (("housing", 3), ("mental_health", 4), ("ipv", 2)):
        for n in range(count):
            IssueFactory(topic=topic, submitted_at=_at(2024, 1 + n))
    IssueFactory(topic="housing", submitted_at=_at(2024), status=Issue.State.SPAM)
    IssueFactory(topic="housing", submitted_at=_at(2023))
    IssueFactory(topic="youth", submitted_at=_at(2024))

    ConsultationFactory(plan=plan, title="Survivors' circle", held_from=datetime.date(2024, 4, 1),
                        held_to=datetime.date(2024, 4, 30)).priorities.set([ipv])
    ConsultationFactory(plan=plan, title="Old survey", held_from=datetime.date(2022, 1, 1),
                        held_to=None)
    assert Round.objects.count() == 3
    return plan
