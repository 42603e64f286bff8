from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from indicators import services
from indicators.models import DashboardState, Indicator, IndicatorSummary
from indicators.services import Point, compare, trend
from indicators.tests.factories import IndicatorFactory, ObservationFactory

HIGHER, LOWER, NEUTRAL = "higher", "lower", "neutral"


def point(value, year=2020, low=None, high=None):
    return Point(str(year), year, year, None if value is None else Decimal(str(value)),
                 None if low is None else Decimal(str(low)),
                 None if high is None else Decimal(str(high)), "final")


@pytest.mark.parametrize(
    ("direction", "region", "province", "expected"),
    [
        (LOWER, point(8), point(10), "better"),
        (LOWER, point(12), point(10), "worse"),
        (HIGHER, point(12), point(10), "better"),
        (HIGHER, point(10.4), point(10), "similar"),  # within 5%, no intervals
        (HIGHER, point(12, low=9, high=15), point(10, low=9.5, high=10.5), "similar"),
        (HIGHER, point(12, low=11, high=13), point(10, low=9.5, high=10.5), "better"),
        (LOWER, point(12, low=11.5, high=12.5), point(10), "worse"),
        (LOWER, point(10.2, low=9, high=11), point(10.6), "similar"),
        (NEUTRAL, point(12), point(10), "not_compared"),
        (LOWER, point(None), point(10), "not_compared"),
        (LOWER, point(10), None, "not_compared"),
    ],
)
def test_it_compares_the_region_with_ontario(direction, region, province, expected):
    assert compare(direction, region, province) == expected


@pytest.mark.parametrize(
    ("direction", "values", "expected"),
    [
        (LOWER, [10, 9, 8, 7, 6], "improving"),
        (HIGHER, [10, 9, 8, 7, 6], "worsening"),
        (HIGHER, [10, 10.1, 9.9, 10, 10.1], "stable"),
        (LOWER, [50, 1, 2, 3, 4, 5], "worsening"),  # only the last five periods count
        (LOWER, [10, 9], "not_enough_data"),
        (NEUTRAL, [10, 9, 8], "not_assessed"),
    ],
)
def test_it_reads_the_trend_over_the_last_five_periods(direction, values, expected):
    series = [point(v, year=2010 + i) for i, v in enumerate(values)]
    assert trend(direction, series)[0] == expected


def test_it_skips_empty_values_in_the_trend_and_names_its_span():
    series = [point(5, 2015), point(None, 2016), point(6, 2017), point(7, 2018)]
    assert trend(LOWER, series) == ("worsening", "2015–2018")


@pytest.fixture
def series(geographies):
    indicator = IndicatorFactory(direction=LOWER)
    for year, halton, ontario in [(2018, 12, 15), (2019, 11, 15), (2020, 10, 15)]:
        ObservationFactory(indicator=indicator, geography=geographies["halton"],
                           period=str(year), value=halton)
        ObservationFactory(indicator=indicator, geography=geographies["ontario"],
                           period=str(year), value=ontario)
    ObservationFactory(indicator=indicator, geography=geographies["milton"], period="2021",
                       value=None, status="suppressed")
    return indicator


def test_it_stores_each_published_indicators_summary(series):
    unpublished = IndicatorFactory(published=False)
    result = services.dashboard_refresh()
    assert (result.indicators, result.failures) == (1, 0)
    summary = IndicatorSummary.objects.get(indicator=series)
    assert (summary.region_period, summary.region_value) == ("2020", Decimal("10"))
    assert (summary.province_period, summary.province_value) == ("2020", Decimal("15"))
    assert summary.comparison == "better"
    assert summary.trend == "improving"
    assert summary.trend_periods == "2018–2020"
    assert summary.latest["milton"] == {"period": "2021", "value": None, "status": "suppressed"}
    assert not IndicatorSummary.objects.filter(indicator=unpublished).exists()


def test_one_failing_indicator_does_not_stop_the_others(series, monkeypatch):
    broken = IndicatorFactory(name="Broken")
    IndicatorSummary.objects.create(indicator=broken, region_period="2010", region_value=3)
    real = services.summarize

    def summarize(direction, points, geographies, now):
        if not points:  # the broken indicator has no observations in this test
            raise ZeroDivisionError("bad data")
        return real(direction, points, geographies, now)

    monkeypatch.setattr(services, "summarize", summarize)
    result = services.dashboard_refresh()
    assert result.failures == 1
    assert IndicatorSummary.objects.get(indicator=series).region_value == Decimal("10")
    kept = IndicatorSummary.objects.get(indicator=broken)
    assert kept.region_value == Decimal("3")  # the previous figures stay
    assert kept.error == "ZeroDivisionError: bad data"
    assert DashboardState.get().refresh_failures == 1


def test_a_second_refresh_waits_for_the_running_one_and_makes_it_go_again(series, monkeypatch):
    calls = []
    real = services._refresh_once

    def refresh_once():
        calls.append(1)
        if len(calls) == 1:
            # A second worker starts while this one computes: it must not run, only ask again.
            assert services.dashboard_refresh() is None
        return real()

    monkeypatch.setattr(services, "_refresh_once", refresh_once)
    result = services.dashboard_refresh()
    assert result.rounds == 2
    assert len(calls) == 2
    assert DashboardState.get().refresh_token == ""


def test_it_takes_over_a_refresh_abandoned_by_a_dead_worker(series):
    DashboardState.get()
    DashboardState.objects.update(refresh_token="dead",
                                  refresh_started_at=timezone.now() - timedelta(hours=1))
    assert services.dashboard_refresh() is not None
    DashboardState.objects.update(refresh_token="alive", refresh_started_at=timezone.now())
    assert services.dashboard_refresh() is None


def test_it_gives_cached_pages_a_new_version(series):
    before = services.dashboard_version()
    cache.set(f"indicators:page:{before}-x", "old page")
    services.dashboard_refresh()
    assert services.dashboard_version() != before


def test_the_version_survives_a_cleared_cache(series):
    services.dashboard_refresh()
    version = services.dashboard_version()
    cache.clear()
    assert services.dashboard_version() == version


def test_the_task_reports_what_it_did(series):
    from indicators.tasks import refresh_dashboard

    assert refresh_dashboard() == "1 indicators, 0 failed"


def test_it_refreshes_two_hundred_indicators_in_few_queries(geographies,
                                                           django_assert_max_num_queries):
    domain = IndicatorFactory().domain
    Indicator.objects.all().delete()
    for n in range(200):
        indicator = IndicatorFactory(domain=domain)
        ObservationFactory(indicator=indicator, geography=geographies["halton"], value=n + 1)
    with django_assert_max_num_queries(20):
        services.dashboard_refresh()
    assert IndicatorSummary.objects.count() == 200


def test_two_changes_in_the_same_millisecond_give_two_versions(db, monkeypatch):
    frozen = timezone.now()
    monkeypatch.setattr(services.timezone, "now", lambda: frozen)
    services.dashboard_invalidate()
    first = services.dashboard_version()
    services.dashboard_invalidate()
    assert int(services.dashboard_version()) == int(first) + 1
