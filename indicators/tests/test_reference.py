from decimal import Decimal

from indicators import reference
from indicators.models import Domain, Geography, Indicator, IndicatorSummary, Observation


def counts():
    return (Geography.objects.count(), Domain.objects.count(), Indicator.objects.count(),
            Observation.objects.count(), IndicatorSummary.objects.count())


def test_it_loads_the_published_halton_figures_once(db, settings):
    settings.INDICATORS_SAMPLE_DATA = False
    reference.load()
    first = counts()
    assert first == (6, 3, 15, 16, 15)
    assert "0 indicators" in reference.load()
    assert counts() == first
    lim = Observation.objects.get(indicator__slug="low-income-measure")
    assert (lim.period, lim.value, lim.geography.slug) == ("2017", Decimal("8.2"), "halton")
    assert "As reported" in lim.note
    csi = Indicator.objects.get(slug="crime-severity-index")
    assert csi.notes.count("59.15") == 1 and "42.08" in csi.notes
    assert not Indicator.objects.filter(is_sample=True).exists()
    assert set(Observation.objects.filter(indicator__slug="population").values_list(
        "period", "value")) == {("2021", Decimal("596637")), ("2019", Decimal("583000"))}


def test_it_loads_flagged_sample_series_on_a_laptop(db, settings):
    settings.INDICATORS_SAMPLE_DATA = True
    reference.load()
    samples = Indicator.objects.filter(is_sample=True)
    assert samples.count() == 6
    assert Observation.objects.filter(indicator__is_sample=True).count() == 6 * 6 * 12
    values = list(Observation.objects.order_by("pk").values_list("value", flat=True))
    reference.load()
    assert list(Observation.objects.order_by("pk").values_list("value", flat=True)) == values
    assert IndicatorSummary.objects.filter(indicator__is_sample=True, trend="not_enough_data"
                                           ).count() == 0
