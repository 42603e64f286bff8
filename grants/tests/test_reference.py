import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from grants import reference
from grants.models import Application, Award, Criterion, Fund, Round
from grants.tests.factories import AwardFactory, SubmittedApplicationFactory

pytestmark = pytest.mark.django_db


def test_it_loads_the_fund_and_the_first_intake_with_their_real_figures():
    reference.load()
    fund = Fund.objects.get()
    assert fund.funder == "Public Safety Canada"
    assert fund.total_allocation == Decimal("3940000")
    intake = Round.objects.get()
    assert intake.slug == "2023-intake" and not intake.is_demo
    opens, closes = (timezone.localtime(intake.opens_at), timezone.localtime(intake.closes_at))
    assert (opens.date(), closes.date()) == (datetime.date(2023, 8, 28),
                                             datetime.date(2023, 9, 22))
    assert intake.status() == Round.Status.CLOSED
    assert intake.amount_available == Decimal("2400000")
    assert (intake.min_age, intake.max_age) == (6, 29)
    assert sorted(intake.eligible_org_types) == ["charity", "indigenous", "non_profit"]
    assert intake.program_starts_on == datetime.date(2024, 1, 1)
    assert intake.program_ends_on == datetime.date(2026, 3, 31)
    assert "Nine organizations" in intake.results_note and "$1.8 million" in intake.results_note


def test_it_gives_the_real_intake_nothing_made_up():
    reference.load()
    intake = Round.objects.get(slug="2023-intake")
    assert not intake.criteria.exists()  # Halton has not published how it scored
    assert "review panel" not in intake.guidelines
    assert intake.information_sessions == ""


def test_the_demonstration_opens_a_flagged_round_today():
    reference.load()
    reference.load_demo()
    demo = Round.objects.get(slug="demonstration-intake")
    assert demo.is_open() and demo.is_demo
    assert "(demonstration)" in demo.name
    assert demo.criteria.count() == 5


def test_it_changes_nothing_when_loaded_twice():
    reference.load()
    reference.load_demo()
    demo = Round.objects.get(slug="demonstration-intake")
    before = (demo.opens_at, demo.closes_at)
    assert reference.load() == "0 fund, 0 rounds created"
    assert reference.load_demo() == "0 demonstration rounds created"
    demo.refresh_from_db()
    assert (demo.opens_at, demo.closes_at) == before
    assert Round.objects.count() == 2 and Criterion.objects.count() == 5


def test_it_does_not_move_the_demonstration_round_on_a_later_day():
    fund, _ = reference.load_fund()
    reference.load_demonstration_round(fund, today=datetime.date(2026, 1, 10))
    assert not reference.load_demonstration_round(fund, today=datetime.date(2026, 6, 1))
    demo = Round.objects.get(slug="demonstration-intake")
    assert timezone.localtime(demo.closes_at).date() == datetime.date(2026, 2, 9)


def test_removing_the_demonstration_takes_its_applications_and_keeps_the_real_ones():
    reference.load()
    reference.load_demo()
    demo, real = Round.objects.get(is_demo=True), Round.objects.get(is_demo=False)
    AwardFactory(application=SubmittedApplicationFactory(round=demo, state="approved"))
    SubmittedApplicationFactory(round=demo)
    kept = SubmittedApplicationFactory(round=real)

    removed = reference.remove_demo()

    mine = ("grants.Round", "grants.Criterion", "grants.Application", "grants.Award")
    assert {label: removed.get(label) for label in mine} == {
        "grants.Round": 1, "grants.Criterion": 5, "grants.Application": 2, "grants.Award": 1}
    assert list(Round.objects.all()) == [real]
    assert list(Application.objects.all()) == [kept]
    assert not Award.objects.exists()
    assert Fund.objects.count() == 1
    assert reference.remove_demo() == {}


def test_a_demonstration_round_loaded_before_the_flag_is_flagged_by_the_migration():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("grants.migrations.0004_flag_the_demonstration_round")
    reference.load()
    reference.load_demo()
    Round.objects.update(is_demo=False)  # as an install that loaded it before the flag holds it

    migration.flag_the_demonstration_round(apps, None)

    assert list(Round.objects.filter(is_demo=True).values_list("slug", flat=True)) == [
        "demonstration-intake"]


def test_the_migration_takes_the_made_up_scoring_off_a_first_intake_loaded_before():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("grants.migrations.0004_flag_the_demonstration_round")
    reference.load()
    intake = Round.objects.get(slug="2023-intake")
    Round.objects.filter(pk=intake.pk).update(
        guidelines=migration.FACTS + migration.MADE_UP_PROCESS)
    reference._add_criteria(intake)  # as loaded before
    Criterion.objects.filter(name="Budget").update(description="Staff wrote this one.")

    migration.keep_the_first_intake_to_facts(apps, None)

    intake.refresh_from_db()
    assert intake.guidelines == reference.GUIDELINES
    assert list(intake.criteria.values_list("name", flat=True)) == ["Budget"]
