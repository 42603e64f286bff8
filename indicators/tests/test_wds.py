"""Statistics Canada sources read through the Web Data Service, against a local stand-in that
answers in the documented shapes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from indicators import services, tasks
from indicators.models import Observation, RemoteSource, SourceSeries
from indicators.statcan.sources import next_release, parse_release
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from indicators.tests.wds import Table, full_table_zip, member, point

POLICE = 35100188
PROVINCES = 35100026


def police_table(release="2025-07-22T08:30"):
    table = Table(POLICE, "Police-reported crime severity indexes, police services in Ontario", [
        ("Geography", [member(1, "Hamilton, Ontario, municipal [35041]"),
                       member(2, "Halton Region, Ontario, municipal [35048]"),
                       member(3, "Halton Hills, Ontario, municipal [35099]", terminated=1)]),
        ("Statistics", [member(1, "Crime severity index"),
                        member(3, "Violent crime severity index")]),
    ], release=release)
    table.cell([2, 1], 111, [point(2021, "24.10"), point(2022, "25.00"),
                             point(2023, "26.5", symbol=1)])
    table.cell([2, 3], 113, [point(2022, "20.4"), point(2023, None, status=8)])
    return table


def province_table():
    table = Table(PROVINCES, "Crime severity index, provinces", [
        ("Geography", [member(1, "Canada", "11124"), member(16, "Ontario", "35")]),
        ("Statistics", [member(1, "Crime severity index"),
                        member(3, "Violent crime severity index")]),
    ])
    table.cell([16, 1], 161, [point(2022, "55.5"), point(2023, "57.9", status=7)])
    return table


@pytest.fixture
def csi(geographies):
    return IndicatorFactory(slug="csi", name="Crime Severity Index", unit="index", decimals=2)


def series_source(indicator, table, members, geographies, **extra):
    return RemoteSource.objects.create(
        name=extra.pop("name", f"{indicator.slug} {table}"), indicator=indicator,
        layout=RemoteSource.Layout.WDS_SERIES, table=table,
        mapping={"members": members, "geographies": geographies, **extra},
    )


@pytest.fixture
def two_sources(csi, wds):
    wds.add(police_table())
    wds.add(province_table())
    halton = series_source(csi, "35-10-0188-01", {"Statistics": "Crime severity index"},
                           {"halton": "Halton Region*"}, name="CSI Halton")
    ontario = series_source(csi, "35-10-0026-01", {"Statistics": "Crime severity index"},
                            {"ontario": "code:35"}, name="CSI Ontario")
    return halton, ontario


def figures(indicator):
    return {(o.geography.slug, o.period): (o.value, o.status, o.note)
            for o in indicator.observations.select_related("geography")}


def test_it_resolves_members_by_name_and_stores_coordinates_and_vectors(two_sources, csi, wds):
    outcomes = services.sources_fetch_all()
    assert [(o.source.name, o.status) for o in outcomes] == [("CSI Halton", "new"),
                                                             ("CSI Ontario", "new")]
    halton, ontario = two_sources
    stored = SourceSeries.objects.get(source=halton)
    assert (stored.coordinate, stored.vector_id) == ("2.1.0.0.0.0.0.0.0.0", 111)
    assert stored.members == [["Geography", 2, "Halton Region, Ontario, municipal [35048]"],
                              ["Statistics", 1, "Crime severity index"]]
    assert SourceSeries.objects.get(source=ontario).coordinate == "16.1.0.0.0.0.0.0.0.0"
    assert figures(csi) == {
        ("halton", "2021"): (Decimal("24.1000"), "final", ""),
        ("halton", "2022"): (Decimal("25.0000"), "final", ""),
        ("halton", "2023"): (Decimal("26.5000"), "preliminary", ""),
        ("ontario", "2022"): (Decimal("55.5000"), "final", ""),
        ("ontario", "2023"): (Decimal("57.9000"), "final", "Use with caution (E)."),
    }
    # Three requests for two sources: the tables' metadata, the vectors, the data.
    assert wds.methods() == ["getCubeMetadata", "getSeriesInfoFromCubePidCoord",
                             "getDataFromVectorsAndLatestNPeriods"]
    halton.refresh_from_db()
    csi.refresh_from_db()
    assert halton.state == "ok" and halton.last_message == "3 new rows"
    assert halton.release_time == parse_release("2025-07-22T08:30")
    assert halton.table_title.startswith("Police-reported crime severity")
    assert csi.citations() == [
        "Statistics Canada. Table 35-10-0188-01 Police-reported crime severity indexes, police "
        "services in Ontario. DOI: https://doi.org/10.25318/3510018801-eng",
        "Statistics Canada. Table 35-10-0026-01 Crime severity index, provinces. DOI: "
        "https://doi.org/10.25318/3510002601-eng",
    ]
    assert csi.licence == "statcan-open" and csi.next_release.isoformat() == "2026-07-22"
    assert csi.data_updated_at is not None


def test_it_does_not_download_an_unchanged_table_again(two_sources, csi, wds):
    services.sources_fetch_all()
    wds.calls.clear()
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["unchanged", "unchanged"]
    assert wds.methods() == ["getCubeMetadata"]
    assert "unchanged (table released July 22, 2025, 8:30 a.m.)" in outcomes[0].message


def test_a_new_release_brings_revised_figures(two_sources, csi, wds):
    services.sources_fetch_all()
    police = wds.add(police_table(release="2026-07-21T08:30"))
    police.cells["2.1.0.0.0.0.0.0.0.0"][1][0]["value"] = "24.35"
    outcomes = services.sources_fetch_all()
    assert (outcomes[0].status, outcomes[0].message) == ("new", "0 new rows; 1 revised")
    assert outcomes[1].status == "unchanged"
    assert figures(csi)[("halton", "2021")][0] == Decimal("24.35")


def test_a_renamed_member_fails_loudly_and_keeps_the_figures(two_sources, csi, wds):
    services.sources_fetch_all()
    police = wds.add(police_table(release="2026-07-21T08:30"))
    police.dimensions[1][1][0]["memberNameEn"] = "Crime severity index (CSI)"
    before = figures(csi)
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["failed", "unchanged"]
    halton = RemoteSource.objects.get(name="CSI Halton")
    assert halton.state == "failed"
    assert ("renamed the member “Crime severity index” of “Statistics” to “Crime severity "
            "index (CSI)”") in halton.last_error
    assert figures(csi) == before


def test_a_terminated_or_missing_member_is_refused_on_the_first_fetch(csi, wds):
    wds.add(police_table())
    source = series_source(csi, "35-10-0188-01", {"Statistics": "Crime severity index"},
                           {"halton": "Halton Hills*"})
    missing = series_source(csi, "35-10-0188-01", {"Statistics": "Crime rate"},
                            {"halton": "Halton Region*"}, name="missing")
    services.sources_fetch_all()
    source.refresh_from_db()
    missing.refresh_from_db()
    assert "is terminated" in source.last_error
    assert "No member of “Statistics” matches “Crime rate”" in missing.last_error
    assert not Observation.objects.exists()


def test_a_failed_item_is_recorded_on_its_source_alone(two_sources, csi, wds):
    wds.failed_vectors[161] = 4
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["new", "failed"]
    ontario = RemoteSource.objects.get(name="CSI Ontario")
    assert ontario.last_error == ("Vector v161: Statistics Canada answered FAILED (Vector is "
                                  "invalid).")
    assert {slug for slug, _p in figures(csi)} == {"halton"}


def test_a_table_being_published_is_tried_again_later(two_sources, csi, wds):
    wds.tables[PROVINCES].release = "publishing"
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["new", "waiting"]
    ontario = RemoteSource.objects.get(name="CSI Ontario")
    assert ontario.state == "waiting" and ontario.retry_at > timezone.now()
    assert tasks.retry_waiting_sources() == "none waiting"
    RemoteSource.objects.filter(pk=ontario.pk).update(retry_at=timezone.now() - timedelta(1))
    wds.tables[PROVINCES].release = "2025-07-22T08:30"
    assert tasks.retry_waiting_sources() == "sources: 1 new"
    assert RemoteSource.objects.get(pk=ontario.pk).state == "ok"


def test_http_409_means_wait_and_try_later(two_sources, wds):
    wds.faults["getCubeMetadata"] = ("409",)
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["waiting", "waiting"]
    assert "409" in outcomes[0].message


@pytest.mark.parametrize(("fault", "message"), [
    (("not-json",), "getCubeMetadata answered something that is not JSON"),
    (("500",), "Statistics Canada answered 500"),
])
def test_a_broken_answer_keeps_the_previous_figures(csi, two_sources, wds, fault, message):
    ObservationFactory(indicator=csi, period="2013", value=Decimal("25.54"))
    wds.faults["getCubeMetadata"] = fault
    outcomes = services.sources_fetch_all()
    assert {o.status for o in outcomes} == {"failed"}
    assert message in RemoteSource.objects.get(name="CSI Halton").last_error
    assert list(csi.observations.values_list("period", "value")) == [("2013", Decimal("25.54"))]


def test_a_timeout_fails_the_source_and_the_others_go_on(two_sources, wds, settings):
    settings.INDICATORS_FETCH_TIMEOUT = 1
    wds.faults["getSeriesInfoFromCubePidCoord"] = ("wait", 3)
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "did not answer" in outcomes[0].message


def test_a_suppressed_value_does_not_replace_a_published_figure(csi, wds):
    wds.add(police_table())
    ObservationFactory(indicator=csi, period="2023", value=Decimal("19.9"))
    source = series_source(csi, "35-10-0188-01", {"Statistics": "Violent crime severity index"},
                           {"halton": "Halton Region*"})
    outcome = services.sources_fetch([source.pk])[0]
    assert outcome.message == ("1 new row; suppressed or unavailable now, previous figures "
                               "kept: halton 2023")
    assert figures(csi)[("halton", "2023")] == (Decimal("19.9000"), "final", "")


def test_scalar_factors_and_confidence_intervals(geographies, wds):
    indicator = IndicatorFactory(slug="belonging")
    table = wds.add(Table(13100113, "Health characteristics, two-year period estimates", [
        ("Geography", [member(1, "Ontario", "35"),
                       member(2, "Halton Regional Health Unit, Ontario", "3536")]),
        ("Indicators", [member(1, "Sense of belonging to local community, somewhat strong or "
                                  "very strong")]),
        ("Characteristics", [member(1, "Number of persons"), member(2, "Percent"),
                             member(3, "Low 95% confidence interval - percent"),
                             member(4, "High 95% confidence interval - percent")]),
    ]))
    table.cell([2, 1, 2], 21, [point(2021, "71.2")])
    table.cell([2, 1, 3], 22, [point(2021, "68.0")])
    table.cell([2, 1, 4], 23, [point(2021, "74.4")])
    table.cell([2, 1, 1], 24, [point(2021, "305.1", scalar=3)])
    ci = {"dimension": "Characteristics", "value": "Percent",
          "low": "Low 95% confidence interval - percent",
          "high": "High 95% confidence interval - percent"}
    source = series_source(indicator, "13-10-0113-01", {}, {"halton": "code:3536"}, ci=ci)
    count = IndicatorFactory(slug="persons")
    persons = series_source(count, "13-10-0113-01", {"Characteristics": "Number of persons"},
                            {"halton": "code:3536"})
    services.sources_fetch([source.pk, persons.pk])
    obs = indicator.observations.get()
    assert (obs.value, obs.ci_low, obs.ci_high) == (Decimal("71.2"), Decimal("68"),
                                                   Decimal("74.4"))
    assert count.observations.get().value == Decimal("305100")


def test_a_whole_table_is_downloaded_and_filtered_by_place_names(csi, wds):
    wds.add(police_table())
    rows = [
        {"REF_DATE": "2022", "GEO": "Halton Region, Ontario, municipal [35048]",
         "Statistics": "Crime severity index", "VALUE": "25.0", "SCALAR_ID": "0"},
        {"REF_DATE": "2022", "GEO": "Hamilton, Ontario, municipal [35041]",
         "Statistics": "Crime severity index", "VALUE": "60.0", "SCALAR_ID": "0"},
        {"REF_DATE": "2023", "GEO": "Halton Region, Ontario, municipal [35048]",
         "Statistics": "Crime severity index", "VALUE": "", "STATUS": "x"},
        {"REF_DATE": "2022", "GEO": "Ontario", "DGUID": "2021A000235",
         "Statistics": "Crime severity index", "VALUE": "55.5"},
        {"REF_DATE": "2022", "GEO": "Ontario", "DGUID": "2021A000235",
         "Statistics": "Violent crime severity index", "VALUE": "80"},
    ]
    wds.zips[POLICE] = full_table_zip(POLICE, rows)
    source = RemoteSource.objects.create(
        name="whole", indicator=csi, layout=RemoteSource.Layout.WDS_TABLE,
        table="35-10-0188-01", mapping={"filters": {"Statistics": "Crime severity index"},
                                        "geographies": {"halton": "Halton Region*"}})
    outcome = services.sources_fetch([source.pk])[0]
    assert (outcome.status, outcome.message) == ("new", "3 rows imported from 5 rows of the "
                                                        "table")
    assert figures(csi) == {
        ("halton", "2022"): (Decimal("25.0000"), "final", ""),
        ("halton", "2023"): (None, "suppressed", "Suppressed for confidentiality (x)."),
        ("ontario", "2022"): (Decimal("55.5000"), "final", ""),
    }


@pytest.mark.parametrize(("body", "message"), [
    (b"", "The table's ZIP file is empty."),
    (None, "damaged or cut off"),
    (b"csv", "lacks the column(s) DGUID"),
])
def test_a_bad_table_download_keeps_the_figures(csi, wds, body, message):
    import io
    import zipfile

    wds.add(police_table())
    good = full_table_zip(POLICE, [{"REF_DATE": "2022", "DGUID": "2021A000235",
                                    "Statistics": "Crime severity index", "VALUE": "1"}])
    if body is None:
        body = good[: len(good) // 2]
    elif body == b"csv":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr(f"{POLICE}.csv", "REF_DATE,GEO,VALUE\n2022,Ontario,1\n")
        body = out.getvalue()
    wds.zips[POLICE] = body
    ObservationFactory(indicator=csi, period="2013", value=Decimal("25.54"))
    source = RemoteSource.objects.create(
        name="whole", indicator=csi, layout=RemoteSource.Layout.WDS_TABLE,
        table="35-10-0188-01", mapping={"filters": {"Statistics": "Crime severity index"}})
    assert services.source_fetch(source_id=source.pk) is False
    source.refresh_from_db()
    assert message in source.last_error
    assert source.state == "failed"
    assert csi.observations.count() == 1


def test_fetch_sources_prints_a_line_per_source_and_the_page_shows_the_figures(
        two_sources, csi, wds, client, capsys):
    broken = series_source(csi, "35-10-0188-01", {"Statistics": "Nothing"},
                           {"halton": "Halton Region*"}, name="Broken")
    call_command("fetch_sources")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Broken: No member of “Statistics” matches “Nothing”")
    assert out[1:3] == ["CSI Halton: 3 new rows", "CSI Ontario: 2 new rows"]
    assert out[3] == "Dashboard refreshed: 1 indicators, 0 failed."
    broken.refresh_from_db()
    assert broken.state == "failed"
    page = client.get(reverse("indicators:indicator", args=["csi"])).content.decode()
    assert "26.50" in page and "57.90" in page
    assert "Statistics Canada Open Licence" in page
    assert "https://doi.org/10.25318/3510018801-eng" in page


def test_the_admin_queues_the_fetch_instead_of_downloading(two_sources, wds, steward_user,
                                                           client,
                                                           django_capture_on_commit_callbacks):
    halton, _ontario = two_sources
    client.force_login(steward_user)
    url = reverse("admin:indicators_remotesource_changelist")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, {"action": "fetch_now", "_selected_action": [halton.pk]},
                               follow=True)
        assert wds.calls == []
        halton.refresh_from_db()
        assert halton.state == "queued"
    assert "1 source queued" in response.content.decode()
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    halton.refresh_from_db()
    assert halton.state == "ok" and halton.last_message == "3 new rows"
    page = client.get(url).content.decode()
    assert "Up to date" in page and "3 new rows" in page


def test_only_one_worker_runs_a_source_at_a_time(two_sources, wds):
    halton, _ontario = two_sources
    assert halton.claim() is True
    assert services.sources_fetch([halton.pk]) == []
    assert wds.calls == []


def test_the_mapping_is_checked_when_a_steward_saves_it(csi):
    from django.core.exceptions import ValidationError

    source = RemoteSource(name="x", indicator=csi, layout=RemoteSource.Layout.WDS_SERIES,
                          table="35-10-0188-01", mapping={"members": {"Statistics": 3}})
    with pytest.raises(ValidationError, match="members"):
        source.clean()
    source.mapping = {"members": {}, "geographies": {"peel": "Peel*"}}
    with pytest.raises(ValidationError, match="Unknown places peel"):
        source.clean()
    source.table = "35-10"
    with pytest.raises(ValidationError, match="table number"):
        source.clean()
    assert RemoteSource(table="35100188").table_number == "35-10-0188-01"


def test_release_dates():
    release = parse_release("2025-07-22T08:30")
    assert release.utcoffset() == timedelta(hours=-4)
    assert next_release(release, 12).isoformat() == "2026-07-22"
    assert next_release(release, 9).isoformat() == "2025-10-22"
    assert next_release(release, 18) is None


def test_requests_are_throttled_through_the_shared_limit():
    from cswb.lib.ratelimit import RateLimit, wait_turn

    class Slept(Exception):
        pass

    def sleep(seconds):
        raise Slept(seconds)

    limit = RateLimit("test-throttle", limit=2, window=60)
    wait_turn(limit, "k", sleep=sleep)
    wait_turn(limit, "k", sleep=sleep)
    with pytest.raises(Slept) as slept:
        wait_turn(limit, "k", sleep=sleep)
    assert 0 < slept.value.args[0] <= 60.01


def test_an_answer_in_another_shape_fails_that_source_alone(two_sources, csi, wds):
    wds.tables[PROVINCES].cells["16.1.0.0.0.0.0.0.0.0"] = (161, [{"refPer": None}])
    wds.tables[POLICE].dimensions[1] = ("Statistics", "not a list of members")
    outcomes = services.sources_fetch_all()
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "not in the documented shape" in outcomes[0].message
    assert not csi.observations.exists()
