import datetime
from decimal import Decimal

import factory

from indicators.models import Geography
from indicators.tests.factories import IndicatorFactory
from plan.models import (
    CommitteeSeat,
    Consultation,
    Group,
    Outcome,
    PlanVersion,
    ProgressReport,
    RiskCategory,
    RiskFactor,
    Strategy,
)


class PlanVersionFactory(factory.django.DjangoModelFactory):
    """An adopted plan, published a week after adoption."""

    class Meta:
        model = PlanVersion

    title = factory.Sequence(lambda n: f"Community Safety and Well-Being Plan {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")
    adopted_on = datetime.date(2022, 3, 1)
    published_on = factory.LazyAttribute(
        lambda o: o.adopted_on + datetime.timedelta(days=7) if o.adopted_on else None
    )


class RiskFactorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskFactor

    plan = factory.SubFactory(PlanVersionFactory)
    name = factory.Sequence(lambda n: f"Risk factor {n}")
    categories = factory.LazyFunction(lambda: [RiskCategory.VICTIMIZATION])
    is_priority = True


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy
        skip_postgeneration_save = True

    plan = factory.SubFactory(PlanVersionFactory)
    name = factory.Sequence(lambda n: f"Strategy {n}")
    description = "What the strategy does."

    @factory.post_generation
    def risk_factors(obj, create, extracted, **kwargs):
        if create:
            obj.risk_factors.set(extracted or [RiskFactorFactory(plan=obj.plan)])

    @factory.post_generation
    def tables(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tables.set(extracted)


class OutcomeFactory(factory.django.DjangoModelFactory):
    """An outcome with a 2020 baseline of 20 and no target set, for Halton Region."""

    class Meta:
        model = Outcome

    strategy = factory.SubFactory(StrategyFactory)
    statement = factory.Sequence(lambda n: f"Outcome {n}")
    indicator = factory.SubFactory(IndicatorFactory)
    geography = factory.LazyFunction(lambda: Geography.objects.get(slug="halton"))
    direction = Outcome.Direction.DECREASE
    baseline_period = "2020"
    baseline_value = Decimal("20")


class CommitteeSeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeSeat

    seat = factory.SubFactory("actiontables.tests.factories.LeadershipSeatFactory")
    sectors = factory.LazyFunction(lambda: ["health"])


class ConsultationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consultation

    plan = factory.SubFactory(PlanVersionFactory)
    title = factory.Sequence(lambda n: f"Consultation {n}")
    held_from = datetime.date(2024, 5, 1)
    held_to = datetime.date(2024, 6, 30)
    form = Consultation.Form.SURVEY
    groups_reached = factory.LazyFunction(lambda: [Group.PUBLIC, Group.YOUTH])
    participants = 120
    heard = "People asked for more youth programs in the evenings."


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    plan = factory.SubFactory(PlanVersionFactory)
    year = 2024
    introduction = "A year of steady work on the plan's priorities."
