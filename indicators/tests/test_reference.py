from decimal import Decimal

from indicators import reference
from indicators.models import (
    Domain,
    Geography,
    Indicator,
    IndicatorSummary,
    Observation,
    RemoteSource,
)


def counts():
    return (Geography.objects.count(), Domain.objects.count(), Indicator.objects.count(),
            Observation.objects.count(), IndicatorSummary.objects.count())


def test_it_loads_the_published_halton_figures_once(db):
    reference.load()
    first = counts()
    assert first == (6, 3, 20, 16, 20)
    assert "0 indicators" in reference.load()
    assert counts() == first
    lim = Observation.objects.get(indicator__slug="low-income-measure")
    assert (lim.period, lim.value, lim.geography.slug) == ("2017", Decimal("8.2"), "halton")
    assert "As reported" in lim.note
    csi = Indicator.objects.get(slug="crime-severity-index")
    assert csi.notes.count("59.15") == 1 and "42.08" in csi.notes
    assert not Indicator.objects.filter(is_demo=True).exists()
    assert set(Observation.objects.filter(indicator__slug="population").values_list(
        "period", "value")) == {("2021", Decimal("596637")), ("2019", Decimal("583000"))}


def test_the_demonstration_adds_flagged_generated_series(db):
    reference.load()
    facts = counts()
    assert "6 demonstration indicators" in reference.load_demo()
    samples = Indicator.objects.filter(is_demo=True)
    assert samples.count() == 6
    assert Observation.objects.filter(indicator__is_demo=True).count() == 6 * 6 * 12
    values = list(Observation.objects.order_by("pk").values_list("value", flat=True))
    reference.load()
    reference.load_demo()
    assert list(Observation.objects.order_by("pk").values_list("value", flat=True)) == values
    assert IndicatorSummary.objects.filter(indicator__is_demo=True, trend="not_enough_data"
                                           ).count() == 0

    removed = reference.remove_demo()

    assert removed["indicators.Indicator"] == 6
    assert removed["indicators.Observation"] == 6 * 6 * 12
    assert counts() == facts
    assert reference.remove_demo() == {}


def test_every_real_indicator_says_where_its_figure_comes_from(db):
    reference.load()
    automatic = set(RemoteSource.objects.filter(active=True).values_list("indicator__slug",
                                                                          flat=True))
    assert automatic == {
        "crime-severity-index", "violent-crime-severity-index",
        "non-violent-crime-severity-index", "police-reported-crime-rate",
        "police-reported-violent-crime-rate", "strong-community-belonging", "heavy-drinking",
        "good-mental-health", "population",
    }
    for indicator in Indicator.objects.filter(is_demo=False):
        assert indicator.licence_text, indicator.slug
        if indicator.slug in automatic:
            assert indicator.source_url.startswith("https://www150.statcan.gc.ca/"), indicator
        else:
            assert "data steward" in indicator.how_updated, indicator.slug
    tables = set(RemoteSource.objects.values_list("table", flat=True))
    assert tables == {"35-10-0188-01", "35-10-0026-01", "35-10-0180-01", "35-10-0177-01",
                      "13-10-0113-01", "17-10-0152-01", "17-10-0155-01"}
    for source in RemoteSource.objects.all():
        source.full_clean()


def test_it_never_overwrites_what_staff_edited(db):
    reference.load()
    Indicator.objects.filter(slug="ed-visits-self-harm").update(how_updated="Ask Dana.",
                                                                licence="ogl-ontario")
    reference.load()
    edited = Indicator.objects.get(slug="ed-visits-self-harm")
    assert (edited.how_updated, edited.licence) == ("Ask Dana.", "ogl-ontario")
