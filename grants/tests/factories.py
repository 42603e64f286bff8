import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from grants.models import (
    Application,
    Award,
    BudgetLine,
    Criterion,
    Fund,
    OrganizationType,
    Report,
    Review,
    Round,
    Score,
)
from grants.workflow import State
from indicators.models import Geography

CRITERIA = ["Need", "Program design", "Evaluation", "Capacity", "Budget"]


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"Safer Communities Fund {n}")
    slug = factory.Sequence(lambda n: f"fund-{n}")
    funder = "Public Safety Canada"
    total_allocation = Decimal("3940000.00")
    starts_on = datetime.date(2022, 4, 1)
    ends_on = datetime.date(2030, 3, 31)


class RoundFactory(factory.django.DjangoModelFactory):
    """An intake open from yesterday to 30 days from now, with the five usual criteria."""

    class Meta:
        model = Round
        skip_postgeneration_save = True

    fund = factory.SubFactory(FundFactory)
    name = factory.Sequence(lambda n: f"Intake {n}")
    slug = factory.Sequence(lambda n: f"intake-{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    funding_year = 2027
    amount_available = Decimal("2400000.00")
    max_request = Decimal("250000.00")
    program_starts_on = datetime.date(2027, 1, 1)
    program_ends_on = datetime.date(2029, 3, 31)
    eligible_org_types = factory.LazyFunction(
        lambda: [OrganizationType.NON_PROFIT, OrganizationType.CHARITY,
                 OrganizationType.INDIGENOUS]
    )

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if create:
            for order, name in enumerate(extracted or CRITERIA):
                Criterion.objects.create(round=obj, name=name, order=order)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete, eligible application: $100,000 over two years, budget adding up."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    state = State.DRAFT
    org_legal_name = factory.Sequence(lambda n: f"Youth Futures Halton {n}")
    org_type = OrganizationType.NON_PROFIT
    org_registration_number = "123456789RR0001"
    org_address = "1 Main Street\nMilton ON"
    contact_name = "Ada Okafor"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.org")
    contact_phone = "905-555-0100"
    program_title = "Mentors after school"
    program_summary = "Weekly mentoring and sport for youth."
    population_served = "Youth 12 to 18 in north Milton."
    age_min = 12
    age_max = 18
    risk_factors = "School disengagement."
    protective_factors = "A trusted adult."
    activities = "Mentoring, basketball, homework club."
    expected_outcomes = "Better attendance."
    measurement = "School attendance records, surveys."
    partners = "Halton District School Board"
    duration_years = 2
    amount_requested = Decimal("100000.00")
    declare_accurate = True
    declare_authority = True
    declare_privacy = True
    publish_consent = True

    @factory.post_generation
    def budget(obj, create, extracted, **kwargs):
        if not create:
            return
        lines = extracted if extracted is not None else {
            ("staffing", 1): Decimal("40000"),
            ("staffing", 2): Decimal("40000"),
            ("evaluation", 2): Decimal("20000"),
        }
        for (category, year), amount in lines.items():
            BudgetLine.objects.create(application=obj, category=category, year=year,
                                      amount=amount)

    @factory.post_generation
    def municipalities(obj, create, extracted, **kwargs):
        if create:
            obj.municipalities.set(
                extracted if extracted is not None
                else Geography.objects.municipalities().filter(slug="milton")
            )


class SubmittedApplicationFactory(ApplicationFactory):
    state = State.SUBMITTED
    reference = factory.Sequence(lambda n: f"BSC-2026-{9000 + n:04d}")
    submitted_at = factory.LazyFunction(timezone.now)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    application = factory.SubFactory(SubmittedApplicationFactory, state=State.IN_REVIEW)
    reviewer = None
    conflict = Review.Conflict.PENDING


def scored_review(application, reviewer, values, comment="Solid plan."):
    review = Review.objects.create(
        application=application, reviewer=reviewer, conflict=Review.Conflict.NONE,
        comment=comment, submitted_at=timezone.now(),
    )
    for criterion, value in zip(application.round.criteria.all(), values, strict=True):
        Score.objects.create(review=review, criterion=criterion, value=value)
    return review


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award

    application = factory.SubFactory(SubmittedApplicationFactory, state=State.APPROVED)
    fund = factory.LazyAttribute(lambda o: o.application.round.fund)
    amount = Decimal("100000.00")
    years = 2


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    award = factory.SubFactory(AwardFactory)
    kind = Report.Kind.INTERIM
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))


def form_data(started: str, **overrides) -> dict:
    """Return a complete, valid POST for every step of the public application form (each step
    reads only its own fields)."""
    milton = Geography.objects.get(slug="milton")
    data = {
        "org_legal_name": "Youth Futures Halton",
        "org_type": OrganizationType.NON_PROFIT,
        "org_registration_number": "123456789RR0001",
        "org_address": "1 Main Street, Milton ON",
        "municipalities": [str(milton.pk)],
        "contact_name": "Ada Okafor",
        "contact_title": "Director",
        "contact_email": "ada@example.org",
        "contact_phone": "905-555-0100",
        "program_title": "Mentors after school",
        "program_summary": "Weekly mentoring and sport.",
        "population_served": "Youth 12 to 18.",
        "age_min": "12",
        "age_max": "18",
        "risk_factors": "School disengagement.",
        "protective_factors": "A trusted adult.",
        "activities": "Mentoring.",
        "expected_outcomes": "Better attendance.",
        "measurement": "Attendance records.",
        "partners": "School board",
        "duration_years": "2",
        "amount_requested": "100000.00",
        "budget_staffing_1": "40000",
        "budget_staffing_2": "40000",
        "budget_evaluation_2": "20000",
        "declare_accurate": "on",
        "declare_authority": "on",
        "declare_privacy": "on",
        "publish_consent": "on",
        "website": "",
        "started": started,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
