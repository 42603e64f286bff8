"""The Building Safer Communities fund for Halton and its first intake (facts), and a
demonstration round (``load_reference_data --demo``).

Facts (amounts, dates, ages, eligible organizations, the first results) come from Halton Region's
published grant information (see /work/shared/data/README.md). The Region has not published how
it scored the 2023 intake, so the review criteria and the review process are the demonstration
round's only. That round is flagged ``is_demo`` and dated relative to the day it is first loaded,
so that a fresh ``make run`` has an open intake to try; loading again leaves it where it is.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format

from cswb.lib.demo import demo_delete, merge
from cswb.outbox.services import messages_forget
from grants.models import Application, Award, Criterion, Fund, OrganizationType, Round

TORONTO = ZoneInfo("America/Toronto")
ELIGIBLE = [OrganizationType.NON_PROFIT, OrganizationType.CHARITY, OrganizationType.INDIGENOUS]
CRITERIA = [
    ("Need", "Evidence that the participants face the risks the fund targets, here in Halton."),
    ("Program design", "Activities that fit the participants and address the risks named."),
    ("Evaluation", "Outcomes that can be measured, with a realistic plan to measure them."),
    ("Capacity", "The organization and its partners can deliver the program as planned."),
    ("Budget", "Costs are reasonable, complete and tied to the activities."),
]
GUIDELINES = (
    "The grant funds community programs in Halton that work upstream of gun and gang "
    "violence: they reach children, youth and young adults who are at risk of being drawn into "
    "gangs, or who already are, and strengthen what keeps them safe. Programs may run for one "
    "or two years."
)
# Made up for the demonstration round, with CRITERIA.
DEMO_PROCESS = (
    " Applications are screened for eligibility, scored by a review panel on need, program "
    "design, evaluation, capacity and budget, and decided by Halton Region staff. This round "
    "is a demonstration: its dates move to the day the portal's demonstration data is first "
    "loaded, so that the form can be tried end to end. Nothing sent to it is considered for "
    "funding."
)


def _at(year, month, day, hour=0, minute=0, second=0):
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=TORONTO)


def load_fund() -> tuple[Fund, bool]:
    return Fund.objects.get_or_create(
        slug="building-safer-communities",
        defaults={
            "name": "Building Safer Communities Fund (Halton allocation)",
            "funder": "Public Safety Canada",
            "total_allocation": Decimal("3940000.00"),
            "starts_on": datetime.date(2022, 4, 1),
            "ends_on": datetime.date(2026, 3, 31),
            "description": (
                "Halton Region's share of the federal Building Safer Communities Fund, "
                "announced in March 2023 for four years and passed on to local programs as "
                "one- or two-year grants."
            ),
        },
    )


def _add_criteria(round_: Round) -> None:
    for order, (name, description) in enumerate(CRITERIA):
        Criterion.objects.get_or_create(
            round=round_, name=name, defaults={"description": description, "order": order}
        )


def load_first_intake(fund: Fund) -> bool:
    round_, created = Round.objects.get_or_create(
        slug="2023-intake",
        defaults={
            "fund": fund,
            "name": "2023 intake",
            "opens_at": _at(2023, 8, 28),
            "closes_at": _at(2023, 9, 22, 23, 59, 59),
            "funding_year": 2024,
            "amount_available": Decimal("2400000.00"),
            "max_request": Decimal("2400000.00"),
            "allow_one_year": True,
            "allow_two_years": True,
            "program_starts_on": datetime.date(2024, 1, 1),
            "program_ends_on": datetime.date(2026, 3, 31),
            "min_age": 6,
            "max_age": 29,
            "eligible_org_types": [str(t) for t in ELIGIBLE],
            "guidelines": GUIDELINES,
            "results_note": (
                "Nine organizations received a total of $1.8 million for 2024-25 from this "
                "intake."
            ),
        },
    )
    return created


def load_demonstration_round(fund: Fund, today: datetime.date | None = None) -> bool:
    """Create a demonstration intake open from a week before the first load until 30 days
    after it, with made-up review criteria."""
    if Round.objects.filter(slug="demonstration-intake").exists():
        return False
    today = today or timezone.localdate()
    opens = today - datetime.timedelta(days=7)
    closes = today + datetime.timedelta(days=30)
    next_year = today.year + 1
    round_ = Round.objects.create(
        slug="demonstration-intake",
        fund=fund,
        name=f"{today.year} intake (demonstration)",
        opens_at=_at(opens.year, opens.month, opens.day),
        closes_at=_at(closes.year, closes.month, closes.day, 23, 59, 59),
        funding_year=next_year,
        amount_available=Decimal("1540000.00"),
        max_request=Decimal("250000.00"),
        allow_one_year=True,
        allow_two_years=True,
        program_starts_on=datetime.date(next_year, 1, 1),
        program_ends_on=datetime.date(next_year + 2, 3, 31),
        min_age=6,
        max_age=29,
        eligible_org_types=[str(t) for t in ELIGIBLE],
        guidelines=GUIDELINES + DEMO_PROCESS,
        information_sessions=(
            f"Online information session, {date_format(opens + datetime.timedelta(days=10))}, "
            "12:00 p.m. to 1:00 p.m.\n"
            "Drop-in questions by email to cswb@halton.ca until intake closes"
        ),
        is_demo=True,
    )
    _add_criteria(round_)
    return True


def load() -> str:
    fund, fund_created = load_fund()
    first = load_first_intake(fund)
    return f"{int(fund_created)} fund, {int(first)} rounds created"


def load_demo() -> str:
    fund, _created = load_fund()
    return f"{int(load_demonstration_round(fund))} demonstration rounds created"


def remove_demo() -> dict[str, int]:
    """Delete the demonstration rounds with the applications sent to them (their awards,
    reviews, files and the emails that carried their links); return the rows removed.

    Applications and awards hold on to their round with ``PROTECT``: they go first.
    """
    rounds = Round.objects.filter(is_demo=True)
    applications = Application.objects.filter(round__in=rounds)
    for pk in applications.values_list("pk", flat=True):
        messages_forget(dedupe_prefix=f"grants:draft-link:{pk}:")
    return merge(
        demo_delete(Award.objects.filter(application__in=applications)),
        demo_delete(applications),
        demo_delete(rounds),
    )
