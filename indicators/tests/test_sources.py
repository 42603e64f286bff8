import html
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import services
from indicators.models import RemoteSource
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from indicators.tests.helpers import xlsx_bomb
from indicators.tests.test_statcan import TABLE

PORTAL_CSV = b"GEO_CODE,YEAR,RATE,FLAG\n3524,2021,12.5,\n35,2021,14.0,\n3524,2022,11.0,p\n"


@pytest.fixture
def indicator(geographies):
    indicator = IndicatorFactory(slug="rate")
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2015",
                       value=Decimal("20"))
    return indicator


def make_source(indicator, url, layout=RemoteSource.Layout.PORTAL_CSV, mapping=None):
    return RemoteSource.objects.create(
        name="Regional rate", indicator=indicator, url=url, layout=layout,
        mapping=mapping if mapping is not None else {
            "columns": {"geography": "GEO_CODE", "period": "YEAR", "value": "RATE",
                        "status": "FLAG"}},
    )


def periods(indicator):
    return sorted(indicator.observations.values_list("geography__slug", "period"))


def test_it_downloads_a_source_and_swaps_its_series_in(indicator, file_server):
    source = make_source(indicator, file_server.serve("/rates.csv", PORTAL_CSV))
    assert services.source_fetch(source_id=source.pk) is True
    assert periods(indicator) == [("halton", "2021"), ("halton", "2022"), ("ontario", "2021")]
    source.refresh_from_db()
    assert source.last_error == ""
    assert source.last_row_count == 3
    assert source.last_success_at is not None


def test_it_reads_a_statistics_canada_table_from_a_source(indicator, file_server):
    source = make_source(indicator, file_server.serve("/table.csv", TABLE.encode()),
                         layout=RemoteSource.Layout.STATCAN_CSV,
                         mapping={"filters": {"Sex": "Both sexes"}})
    assert services.source_fetch(source_id=source.pk) is True
    assert indicator.observations.count() == 6


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/missing.csv", None, 404, "The server answered 404"),
        ("/wrong.csv", b"name,colour\nA,blue\n", 200, "lacks the column(s) GEO_CODE, YEAR, RATE"),
        ("/bad-row.csv", PORTAL_CSV + b"9999,2023,1,\n", 200, "Row 5: Unknown geography “9999”"),
        ("/bomb.xlsx", None, 200, "declares XML entities"),
    ],
)
def test_it_keeps_the_previous_data_and_records_the_error(indicator, file_server, path, body,
                                                           status, message):
    if path == "/bomb.xlsx":
        body = xlsx_bomb([{"GEO_CODE": "3524"}], header=["GEO_CODE", "YEAR", "RATE"])
    url = file_server.serve(path, body, status=status) if body is not None else (
        file_server.url(path))
    source = make_source(indicator, url)
    assert services.source_fetch(source_id=source.pk) is False
    assert periods(indicator) == [("halton", "2015")]
    source.refresh_from_db()
    assert message in source.last_error
    assert source.last_success_at is None


def test_it_gives_up_on_a_slow_server_after_the_timeout(indicator, file_server, settings):
    settings.INDICATORS_FETCH_TIMEOUT = 1
    source = make_source(indicator, file_server.serve("/slow.csv", PORTAL_CSV, delay=5))
    assert services.source_fetch(source_id=source.pk) is False
    source.refresh_from_db()
    assert "timed out" in source.last_error
    assert periods(indicator) == [("halton", "2015")]


def test_it_refuses_a_download_over_the_size_limit(indicator, file_server, settings):
    settings.INDICATORS_MAX_UPLOAD_BYTES = 1024
    source = make_source(indicator, file_server.serve("/big.csv", PORTAL_CSV * 200))
    assert services.source_fetch(source_id=source.pk) is False
    source.refresh_from_db()
    assert "larger than" in source.last_error


def test_it_refuses_addresses_that_are_not_http(indicator):
    source = make_source(indicator, "file:///etc/passwd")
    assert services.source_fetch(source_id=source.pk) is False
    source.refresh_from_db()
    assert "Only http and https" in source.last_error


def test_the_nightly_task_fetches_every_active_source_and_refreshes(indicator, file_server):
    from indicators.tasks import nightly_refresh

    good = make_source(indicator, file_server.serve("/rates.csv", PORTAL_CSV))
    other = IndicatorFactory(slug="other")
    bad = make_source(other, file_server.url("/gone.csv"))
    paused = make_source(other, file_server.url("/never.csv"))
    RemoteSource.objects.filter(pk=paused.pk).update(active=False)
    assert nightly_refresh() == "sources: 1 failed, 1 new"
    indicator.refresh_from_db()
    assert indicator.summary.region_value == Decimal("11")
    assert RemoteSource.objects.get(pk=bad.pk).last_error
    assert RemoteSource.objects.get(pk=paused.pk).last_attempt_at is None
    assert RemoteSource.objects.get(pk=good.pk).last_error == ""


def test_staff_see_the_error_in_the_admin(client, steward_user, indicator, file_server):
    source = make_source(indicator, file_server.url("/gone.csv"))
    services.source_fetch(source_id=source.pk)
    client.force_login(steward_user)
    content = client.get(reverse("admin:indicators_remotesource_changelist")).content.decode()
    assert "Failed:" in content and "The server answered 404" in content


@pytest.mark.parametrize(
    ("layout", "mapping", "message"),
    [
        ("portal", {"columns": {"geo": "GEO_CODE"}}, "Unknown column names geo"),
        ("portal", {"columns": ["GEO_CODE"]}, 'Write the mapping as {"columns"'),
        ("statcan", {"filters": {"Sex": 1}}, 'Write the mapping as {"filters"'),
        ("statcan", {"columns": {}}, 'Write the mapping as {"filters"'),
    ],
)
def test_the_admin_refuses_a_mapping_of_the_wrong_shape(client, steward_user, indicator, layout,
                                                        mapping, message):
    import json

    client.force_login(steward_user)
    response = client.post(reverse("admin:indicators_remotesource_add"), {
        "name": "Rates", "indicator": indicator.pk, "url": "https://example.org/rates.csv",
        "layout": layout, "mapping": json.dumps(mapping), "active": "on",
    })
    assert message in html.unescape(response.content.decode())
    assert not RemoteSource.objects.exists()


def test_a_steward_adds_a_source_and_fetches_it_now(client, steward_user, indicator,
                                                    file_server,
                                                    django_capture_on_commit_callbacks):
    import json

    client.force_login(steward_user)
    url = file_server.serve("/rates.csv", PORTAL_CSV)
    client.post(reverse("admin:indicators_remotesource_add"), {
        "name": "Rates", "indicator": indicator.pk, "url": url, "layout": "portal",
        "mapping": json.dumps({"columns": {"geography": "GEO_CODE", "period": "YEAR",
                                           "value": "RATE", "status": "FLAG"}}),
        "active": "on", "periods": "25",
    })
    source = RemoteSource.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:indicators_remotesource_changelist"), {
            "action": "fetch_now", "_selected_action": [source.pk],
        }, follow=True)
    assert "1 source queued" in response.content.decode()
    assert indicator.observations.count() == 3
    source.refresh_from_db()
    assert (source.state, source.last_message) == ("ok", "3 rows")


def test_fetch_now_with_the_broker_away_says_so_on_the_source(
    indicator, file_server, django_capture_on_commit_callbacks
):
    from cswb.celery import app
    from cswb.testing.worker import broker_down

    source = make_source(indicator, file_server.serve("/rates.csv", PORTAL_CSV))
    before = indicator.observations.count()
    app.conf.task_always_eager = False
    try:
        with broker_down(app), django_capture_on_commit_callbacks(execute=True):
            # In a transaction: handed over when it commits, which is when the broker refuses.
            assert services.sources_queue(source_ids=[source.pk]).queued == 1
    finally:
        app.conf.task_always_eager = True
    source.refresh_from_db()
    assert source.state == RemoteSource.State.FAILED
    assert "the task queue did not answer" in source.last_error
    assert indicator.observations.count() == before


def test_fetch_now_never_says_queued_when_the_broker_refused(
    client, transactional_db, steward_user, indicator, file_server
):
    from cswb.celery import app
    from cswb.testing.worker import broker_down

    source = make_source(indicator, file_server.serve("/rates.csv", PORTAL_CSV))
    client.force_login(steward_user)
    app.conf.task_always_eager = False
    try:
        with broker_down(app):
            response = client.post(reverse("admin:indicators_remotesource_changelist"), {
                "action": "fetch_now", "_selected_action": [source.pk],
            }, follow=True)
    finally:
        app.conf.task_always_eager = True
    page = response.content.decode()
    assert "1 source was not queued: the task queue did not answer" in page
    assert "source queued" not in page and "being fetched already" not in page
    source.refresh_from_db()
    assert source.state == RemoteSource.State.FAILED


def test_a_statistics_canada_source_can_carry_confidence_intervals(indicator, file_server):
    from indicators.tests.test_statcan import CI_TABLE

    source = make_source(indicator, file_server.serve("/ci.csv", CI_TABLE.encode()),
                         layout=RemoteSource.Layout.STATCAN_CSV, mapping={
                             "filters": {"Sex": "Both sexes"},
                             "ci": {"column": "Characteristics", "value": "Percent",
                                    "low": "Low 95% confidence interval - percent",
                                    "high": "High 95% confidence interval - percent"}})
    source.full_clean()
    assert services.source_fetch(source_id=source.pk) is True
    halton = indicator.observations.get(geography__slug="halton")
    assert (halton.ci_low, halton.ci_high) == (Decimal("29.0"), Decimal("34.0"))
