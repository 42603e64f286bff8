import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators.tests.factories import IndicatorFactory
from plan.models import PlanVersion, Strategy
from plan.tests.factories import (
    OutcomeFactory,
    PlanVersionFactory,
    RiskFactorFactory,
    StrategyFactory,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    return caught.value.message_dict


def test_it_sets_the_review_four_years_after_adoption():
    plan = PlanVersionFactory(adopted_on=datetime.date(2024, 2, 29))
    assert plan.review_due_on == datetime.date(2028, 2, 29)
    leap = PlanVersionFactory(adopted_on=datetime.date(2020, 2, 29), published_on=None)
    assert leap.review_due_on == datetime.date(2024, 2, 29)
    assert PlanVersionFactory(adopted_on=datetime.date(2021, 2, 28),
                              published_on=None).review_due_on == datetime.date(2025, 2, 28)


def test_it_refuses_a_review_date_before_adoption():
    plan = PlanVersion(title="Plan", slug="p", adopted_on=datetime.date(2024, 5, 1),
                       review_due_on=datetime.date(2024, 4, 30))
    errors = errors_of(plan)
    assert "The review date (April 30, 2024) is before the adoption date (May 1, 2024)" in (
        errors["review_due_on"][0])
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.save()


def test_it_refuses_a_publication_before_adoption():
    plan = PlanVersion(title="Plan", slug="p", adopted_on=datetime.date(2024, 5, 1),
                       published_on=datetime.date(2024, 4, 1))
    assert "before the adoption date" in errors_of(plan)["published_on"][0]


def test_the_current_plan_is_the_latest_adopted():
    PlanVersionFactory(adopted_on=datetime.date(2017, 11, 1), published_on=None)
    newer = PlanVersionFactory(adopted_on=datetime.date(2023, 6, 1), published_on=None)
    PlanVersionFactory(adopted_on=None, published_on=None)  # a draft
    assert PlanVersion.objects.current() == newer
    assert PlanVersion.objects.current(datetime.date(2020, 1, 1)).adopted_on.year == 2017


def test_a_strategy_must_answer_a_priority_risk_of_its_plan():
    plan = PlanVersionFactory()
    context = RiskFactorFactory(plan=plan, is_priority=False, name="Low income")
    other_plan = RiskFactorFactory(name="Elsewhere")

    problems = Strategy.risk_factor_problems(plan, [])
    assert [p.code for p in problems] == ["no_priority"]
    problems = Strategy.risk_factor_problems(plan, [context, other_plan])
    assert [p.code for p in problems] == ["not_priority", "other_plan"]
    assert "Low income" in problems[0].message % problems[0].params
    assert Strategy.risk_factor_problems(plan, [RiskFactorFactory(plan=plan)]) == []


def test_an_outcome_needs_an_indicator():
    outcome = OutcomeFactory.build(strategy=StrategyFactory(), indicator=None)
    assert "without one it cannot be measured" in errors_of(outcome)["indicator"][0]


def test_it_refuses_a_new_target_in_the_past_but_keeps_an_old_one():
    last_year = timezone.localdate().year - 1
    outcome = OutcomeFactory.build(strategy=StrategyFactory(), indicator=IndicatorFactory(),
                                   target_value=Decimal("10"), target_year=last_year)
    assert "has already passed" in errors_of(outcome)["target_year"][0]

    # A target set when it was still ahead stays valid when other fields change.
    outcome.save()
    stored = type(outcome).objects.get(pk=outcome.pk)
    stored.statement = "Reworded"
    stored.full_clean()
    stored.target_value = Decimal("9")
    assert "has already passed" in errors_of(stored)["target_year"][0]


def test_a_target_is_whole_after_the_baseline_and_in_the_intended_direction():
    year = timezone.localdate().year + 2
    outcome = OutcomeFactory()
    outcome.target_value = Decimal("10")
    assert "both the target value and its year" in errors_of(outcome)["target_year"][0]
    outcome.target_year = year
    outcome.target_value = Decimal("25")  # the outcome should fall from 20
    assert "does not fall" in errors_of(outcome)["target_value"][0]
    outcome.target_value = Decimal("15")
    outcome.full_clean()
    outcome.baseline_period = str(year)
    assert "after the baseline" in errors_of(outcome)["target_year"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        OutcomeFactory(target_value=Decimal("1"), target_year=None)
