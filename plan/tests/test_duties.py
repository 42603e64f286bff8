import datetime

import pytest

from plan.duties import DutyState, duties
from plan.models import DatePrecision
from plan.tests.factories import PlanVersionFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db


def by_key(plan, today):
    return {duty.key: duty for duty in duties(plan, today)}


def test_publication_is_judged_from_the_dates_on_record():
    late = PlanVersionFactory(adopted_on=datetime.date(2024, 1, 10),
                              published_on=datetime.date(2024, 3, 1))
    duty = by_key(late, datetime.date(2024, 6, 1))["publication"]
    assert duty.state == DutyState.NOT_MET
    assert "51 days later" in duty.evidence[0]

    monthly = PlanVersionFactory(adopted_on=datetime.date(2017, 11, 1),
                                 published_on=datetime.date(2017, 11, 1),
                                 date_precision=DatePrecision.MONTH)
    duty = by_key(monthly, datetime.date(2018, 6, 1))["publication"]
    assert duty.state == DutyState.MET
    assert duty.evidence[0] == ("Adopted November 2017, published November 2017; only the month "
                                "is on record.")


def test_an_unpublished_plan_is_due_then_not_met():
    plan = PlanVersionFactory(adopted_on=datetime.date(2024, 1, 10), published_on=None)
    assert by_key(plan, datetime.date(2024, 1, 20))["publication"].state == DutyState.DUE_SOON
    assert by_key(plan, datetime.date(2024, 2, 20))["publication"].state == DutyState.NOT_MET


def test_the_yearly_report_and_the_review():
    plan = PlanVersionFactory(adopted_on=datetime.date(2022, 3, 1))
    found = by_key(plan, datetime.date(2024, 3, 1))
    assert found["yearly-report"].title == "The plan's effect reported for 2023"
    assert found["yearly-report"].state == DutyState.NOT_DUE
    assert found["yearly-report"].due == datetime.date(2024, 6, 30)
    assert found["review"].state == DutyState.NOT_DUE  # due 1 March 2026
    assert by_key(plan, datetime.date(2025, 6, 1))["review"].state == DutyState.DUE_SOON
    assert by_key(plan, datetime.date(2026, 4, 1))["review"].state == DutyState.NOT_MET

    assert by_key(plan, datetime.date(2024, 5, 15))["yearly-report"].state == DutyState.DUE_SOON
    ProgressReportFactory(plan=plan, year=2023, state="published",
                          published_at=datetime.datetime(2024, 5, 20, tzinfo=datetime.UTC))
    found = by_key(plan, datetime.date(2024, 7, 1))
    assert found["yearly-report"].state == DutyState.MET
    assert found["yearly-report"].evidence == ["Published May 20, 2024."]
