import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators import services
from indicators.models import Indicator
from indicators.tests.factories import DomainFactory, IndicatorFactory, ObservationFactory

OVERVIEW = reverse("indicators:overview")


@pytest.fixture
def dashboard(geographies, domains):
    """A small published dashboard: one real-looking indicator, one sample, one draft."""
    safety = domains["safety"]
    csi = IndicatorFactory(domain=safety, name="Crime Severity Index", slug="csi",
                           unit=Indicator.Unit.INDEX, decimals=2, zone="incident-response",
                           notes="Toronto for comparison: 59.15.", source_name="StatCan",
                           source_url="https://example.org/csi")
    for year, halton, ontario, milton in [(2019, "26.10", "57.00", "20.00"),
                                          (2020, "25.54", "55.00", "19.50"),
                                          (2021, "24.00", "54.00", "19.00")]:
        ObservationFactory(indicator=csi, geography=geographies["halton"], period=str(year),
                           value=Decimal(halton), note="As reported" if year == 2021 else "")
        ObservationFactory(indicator=csi, geography=geographies["ontario"], period=str(year),
                           value=Decimal(ontario))
        ObservationFactory(indicator=csi, geography=geographies["milton"], period=str(year),
                           value=Decimal(milton))
    sample = IndicatorFactory(domain=domains["health"], name="Made-up visits", slug="made-up",
                              is_demo=True, zone="prevention")
    ObservationFactory(indicator=sample, geography=geographies["halton"], value=5)
    IndicatorFactory(domain=safety, name="Draft indicator", published=False)
    services.dashboard_refresh()
    return {"csi": csi, "sample": sample}


def test_the_overview_shows_values_comparison_and_trend_in_words(client, dashboard):
    content = client.get(OVERVIEW).content.decode()
    assert "Crime Severity Index" in content
    assert "24.00" in content and "54.00" in content
    assert "Better than Ontario" in content and "▲" in content
    assert "Improving" in content and "(2019–2021)" in content
    assert "Draft indicator" not in content
    assert "Demonstration data, not official statistics." in content
    assert content.count("Demonstration</span>") == 1  # the badge, on the demonstration only
    standing = content.split('id="standing"')[1].split("</section>")[0]
    assert "Doing well (better than Ontario)" in standing
    assert "Crime Severity Index" in standing
    assert "Made-up visits" not in standing  # no Ontario figure: not compared


def test_the_overview_has_no_demonstration_notice_without_demonstration_data(client, dashboard):
    Indicator.objects.filter(is_demo=True).update(published=False)
    services.dashboard_refresh()
    assert "not official statistics" not in client.get(OVERVIEW).content.decode()


def test_the_overview_filters_by_domain_and_zone(client, dashboard):
    content = client.get(OVERVIEW, {"domain": "health"}).content.decode()
    assert "Made-up visits" in content and "Crime Severity Index" not in content
    content = client.get(OVERVIEW, {"zone": "incident-response"}).content.decode()
    assert "Crime Severity Index" in content and "Made-up visits" not in content
    content = client.get(OVERVIEW, {"zone": "prevention", "domain": "safety"}).content.decode()
    assert "No published indicator matches this filter." in content


def test_the_overview_explains_an_unknown_filter(client, dashboard):
    content = client.get(OVERVIEW, {"zone": "bogus"}).content.decode()
    assert "There is no zone “bogus”; showing all zones." in content
    assert "Crime Severity Index" in content


def test_the_domain_page_lists_its_indicators(client, dashboard, domains):
    content = client.get(reverse("indicators:domain", args=["safety"])).content.decode()
    assert "<h1>Safety</h1>" in content
    assert domains["safety"].description in content
    assert "Crime Severity Index" in content and "Made-up visits" not in content
    assert client.get(reverse("indicators:domain", args=["nope"])).status_code == 404


def test_the_indicator_page_has_table_chart_data_definition_source_and_notes(client, dashboard):
    response = client.get(reverse("indicators:indicator", args=["csi"]))
    content = response.content.decode()
    assert "<caption>Crime Severity Index by period and place (Index)</caption>" in content
    assert '<th scope="col">Milton</th>' in content
    assert '<th scope="row">2021</th>' in content
    assert "How it is measured." in content
    assert 'href="https://example.org/csi"' in content
    assert "Toronto for comparison: 59.15." in content
    assert "As reported" in content
    marker = 'id="indicator-chart-data" type="application/json">'
    chart = json.loads(content.split(marker)[1].split("</script>")[0])
    assert chart["periods"] == ["2019", "2020", "2021"]
    assert [s["label"] for s in chart["series"]] == ["Halton Region", "Ontario", "Milton"]
    assert chart["series"][0]["values"] == [26.1, 25.54, 24.0]
    # No inline code or styles: the chart's script is a static file.
    assert "<script>" not in content and "style=" not in content
    assert "js/indicators-chart.js" in content


def test_the_indicator_page_of_a_demonstration_series_says_so(client, dashboard):
    content = client.get(reverse("indicators:indicator", args=["made-up"])).content.decode()
    assert "Demonstration data, not official statistics." in content
    assert "Demonstration</span>" in content.split("<h1")[1].split("</h1>")[0]


def test_unpublished_or_unknown_indicators_are_not_found(client, dashboard):
    draft = Indicator.objects.get(published=False)
    assert client.get(reverse("indicators:indicator", args=[draft.slug])).status_code == 404
    assert client.get(reverse("indicators:indicator", args=["nope"])).status_code == 404


def test_the_municipality_page_shows_its_figures_beside_the_region(client, dashboard):
    content = client.get(reverse("indicators:municipality", args=["milton"])).content.decode()
    assert "<h1>Milton</h1>" in content
    assert "19.00" in content and "24.00" in content and "54.00" in content
    assert "1 indicator has figures for Milton." in content
    assert client.get(reverse("indicators:municipality", args=["halton"])).status_code == 404


def test_pages_refuse_post(client, dashboard):
    assert client.post(OVERVIEW).status_code == 405


def test_a_repeat_visit_gets_not_modified(client, dashboard):
    first = client.get(OVERVIEW)
    assert first.has_header("ETag") and first.has_header("Last-Modified")
    assert "public" in first["Cache-Control"]
    again = client.get(OVERVIEW, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_pages_come_from_the_cache_until_the_data_changes(client, dashboard, geographies,
                                                          django_capture_on_commit_callbacks):
    client.get(OVERVIEW)
    with CaptureQueriesContext(connection) as queries:
        assert "Crime Severity Index" in client.get(OVERVIEW).content.decode()
    assert len(queries) == 0
    with django_capture_on_commit_callbacks(execute=True):
        ObservationFactory(indicator=dashboard["csi"],
                           geography=geographies["halton"],
                           period="2022", value=Decimal("21.25"))
        services.dashboard_changed()
    assert "21.25" in client.get(OVERVIEW).content.decode()


def test_a_staff_edit_in_the_admin_shows_at_once(client, dashboard, steward_user,
                                                 django_capture_on_commit_callbacks):
    assert "Crime Severity Index" in client.get(OVERVIEW).content.decode()
    client.force_login(steward_user)
    csi = dashboard["csi"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:indicators_indicator_change", args=[csi.pk]), {
            "domain": csi.domain_id, "name": "Crime Severity Index (all offences)",
            "slug": "csi", "definition": "", "zone": "", "order": 0, "unit": "index",
            "decimals": 2, "direction": "lower", "source_name": "", "source_url": "",
            "notes": "", "published": "on",
            "remote_sources-TOTAL_FORMS": 0, "remote_sources-INITIAL_FORMS": 0,
        })
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()
    assert "Crime Severity Index (all offences)" in client.get(OVERVIEW).content.decode()


def _many(geographies, count):
    domain = DomainFactory()
    for n in range(count):
        indicator = IndicatorFactory(domain=domain, is_demo=n % 2 == 0,
                                     zone="prevention" if n % 3 else "")
        for year in (2019, 2020):
            for slug in ("halton", "ontario", "milton"):
                ObservationFactory(indicator=indicator, geography=geographies[slug],
                                   period=str(year), value=n + year % 7)
    services.dashboard_refresh()
    return indicator


def _queries(client, url):
    from django.core.cache import cache

    from cswb.lib.pagecache import local_pages

    cache.clear()
    local_pages.clear()  # this process's copies too: measure a cold render
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_name",
    ["overview", "domain", "indicator", "municipality", "indicator_csv", "indicator_json",
     "dataset_csv", "dataset_json"],
)
def test_every_page_runs_the_same_number_of_queries_for_10_or_200_indicators(
        client, geographies, url_name):
    def url(last):
        return {
            "overview": OVERVIEW,
            "domain": reverse("indicators:domain", args=[last.domain.slug]),
            "indicator": reverse("indicators:indicator", args=[last.slug]),
            "municipality": reverse("indicators:municipality", args=["milton"]),
            "indicator_csv": reverse("indicators:indicator_csv", args=[last.slug]),
            "indicator_json": reverse("indicators:indicator_json", args=[last.slug]),
            "dataset_csv": reverse("indicators:dataset_csv"),
            "dataset_json": reverse("indicators:dataset_json"),
        }[url_name]

    last = _many(geographies, 10)
    small = _queries(client, url(last))
    last = _many(geographies, 190)
    assert Indicator.objects.count() == 200
    large = _queries(client, url(last))
    assert small == large
    # The indicator page: its row and summary, its sources (citations), the places, the
    # observations, the plan's outcomes, and the version when the cache lost it.
    assert large <= 6


def test_a_visitor_with_messages_waiting_gets_a_fresh_page_that_is_not_shared(client, dashboard):
    client.cookies["messages"] = "pending"
    client.get(OVERVIEW)
    del client.cookies["messages"]
    with CaptureQueriesContext(connection) as queries:
        client.get(OVERVIEW)
    assert len(queries) > 0  # rendered, not served from a copy made for the first visitor
