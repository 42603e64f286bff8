import pytest
from django.core.management import call_command

from plan.models import (
    CommitteeSeat,
    Consultation,
    Group,
    Outcome,
    PlanVersion,
    RiskFactor,
    Sector,
    Strategy,
    committee_coverage,
)
from plan.reference import COMMITTEE, OUTCOMES, RISK_FACTORS, STRATEGIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    call_command("load_reference_data", verbosity=0)


def test_it_loads_halton_2017_plan_once(loaded):
    call_command("load_reference_data", verbosity=0)  # again: nothing changes

    plan = PlanVersion.objects.get()
    assert plan.title.startswith("Community Safety and Well-Being in Halton")
    assert (plan.adopted_on.isoformat(), plan.date_precision) == ("2017-11-01", "month")
    assert plan.review_due_on.isoformat() == "2021-11-01"
    assert [m.title for m in plan.milestones.all()] == [
        "Draft plan approved", "Plan approved by Regional Council and launched",
        "Implementation begins"]
    assert RiskFactor.objects.count() == len(RISK_FACTORS)
    assert Strategy.objects.count() == len(STRATEGIES)
    assert Outcome.objects.count() == len(OUTCOMES)
    assert CommitteeSeat.objects.count() == len(COMMITTEE)
    assert Consultation.objects.count() == 2


def test_every_strategy_answers_a_priority_and_has_its_table(loaded):
    for strategy in Strategy.objects.prefetch_related("risk_factors", "tables"):
        assert Strategy.risk_factor_problems(strategy.plan, strategy.risk_factors.all()) == []
        assert strategy.tables.count() == 1, strategy


def test_outcomes_have_a_baseline_from_the_published_figures_and_no_target(loaded):
    outcome = Outcome.objects.get(indicator__slug="ed-visits-self-harm")
    assert (outcome.baseline_period, outcome.baseline_value) == ("2017", 398)
    assert not Outcome.objects.filter(target_year__isnull=False).exists()
    assert not Outcome.objects.filter(indicator__is_demo=True).exists()
    for outcome in Outcome.objects.all():
        outcome.full_clean()


def test_the_committee_names_what_it_lacks(loaded):
    coverage = committee_coverage(CommitteeSeat.objects.with_current_members())
    assert [s.value for s in coverage["missing"]] == [Sector.CUSTODIAL_YOUTH,
                                                     Sector.POLICE_BOARD]


def test_the_consultations_are_the_ones_the_sources_record(loaded):
    early, recent = Consultation.objects.order_by("held_from")
    assert (early.when_label, early.participants_display()) == ("Summer 2017", "about 500")
    assert early.groups_reached == [Group.PUBLIC, Group.PARTNERS]
    assert (recent.when_label, recent.participants_display()) == ("2023", "over 150")
