import factory

from indicators.models import Domain, Geography, Indicator, Observation


class DomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Domain
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Domain {n}")
    slug = factory.Sequence(lambda n: f"domain-{n}")
    description = "What this domain covers."


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    domain = factory.SubFactory(DomainFactory)
    name = factory.Sequence(lambda n: f"Indicator {n}")
    slug = factory.Sequence(lambda n: f"indicator-{n}")
    definition = "How it is measured."
    unit = Indicator.Unit.PERCENT
    decimals = 1
    direction = Indicator.Direction.LOWER_IS_BETTER
    source_name = "Test source"
    published = True


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    indicator = factory.SubFactory(IndicatorFactory)
    geography = factory.LazyFunction(lambda: Geography.objects.get(slug="halton"))
    period = "2020"
    period_start = factory.LazyAttribute(lambda o: int(o.period[:4]))
    period_end = factory.LazyAttribute(lambda o: int(o.period[-4:]))
    value = 10
    status = Observation.Status.FINAL
