import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from grants import reference
from grants.models import Criterion, Fund, Round

pytestmark = pytest.mark.django_db


def test_it_loads_the_fund_and_the_first_intake_with_their_real_figures():
    reference.load()
    fund = Fund.objects.get()
    assert fund.funder == "Public Safety Canada"
    assert fund.total_allocation == Decimal("3940000")
    intake = Round.objects.get(slug="2023-intake")
    opens, closes = (timezone.localtime(intake.opens_at), timezone.localtime(intake.closes_at))
    assert (opens.date(), closes.date()) == (datetime.date(2023, 8, 28),
                                             datetime.date(2023, 9, 22))
    assert intake.amount_available == Decimal("2400000")
    assert (intake.min_age, intake.max_age) == (6, 29)
    assert sorted(intake.eligible_org_types) == ["charity", "indigenous", "non_profit"]
    assert intake.program_starts_on == datetime.date(2024, 1, 1)
    assert intake.program_ends_on == datetime.date(2026, 3, 31)
    assert intake.criteria.count() == 5


def test_it_opens_the_demonstration_round_today():
    reference.load()
    demo = Round.objects.get(slug="demonstration-intake")
    assert demo.is_open()


def test_it_changes_nothing_when_loaded_twice():
    reference.load()
    demo = Round.objects.get(slug="demonstration-intake")
    before = (demo.opens_at, demo.closes_at)
    assert reference.load() == "0 fund, 0 rounds created"
    demo.refresh_from_db()
    assert (demo.opens_at, demo.closes_at) == before
    assert Round.objects.count() == 2 and Criterion.objects.count() == 10


def test_it_does_not_move_the_demonstration_round_on_a_later_day():
    fund, _ = reference.load_fund()
    reference.load_demonstration_round(fund, today=datetime.date(2026, 1, 10))
    assert not reference.load_demonstration_round(fund, today=datetime.date(2026, 6, 1))
    demo = Round.objects.get(slug="demonstration-intake")
    assert timezone.localtime(demo.closes_at).date() == datetime.date(2026, 2, 9)
