from decimal import Decimal

import pytest

from indicators.importing import ImportRejected, observations_import, parse_period
from indicators.models import Observation
from indicators.tests.factories import IndicatorFactory, ObservationFactory


def rows(*dicts):
    return list(enumerate(dicts, start=2))


def row(**fields):
    base = {"indicator": "belonging", "geography": "3524", "period": "2021", "value": "32.5",
            "status": "", "ci_low": "", "ci_high": "", "note": ""}
    base.update(fields)
    return base


@pytest.fixture
def indicator(geographies):
    return IndicatorFactory(slug="belonging")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2021", ("2021", 2021, 2021)), ("2017-2018", ("2017-2018", 2017, 2018)),
     ("2017/18", ("2017-2018", 2017, 2018)), ("2017–2018", ("2017-2018", 2017, 2018)),
     (" 2019 ", ("2019", 2019, 2019))],
)
def test_it_parses_years_and_spans(text, expected):
    assert parse_period(text) == expected


def test_it_imports_rows_and_looks_geographies_up_by_code_name_slug_or_dguid(indicator):
    report = observations_import(rows(
        row(geography="3524"),
        row(geography="Burlington", period="2017-2018", value="1,204.5", status="preliminary"),
        row(geography="ontario", value="", status="suppressed", note="small counts"),
        row(geography="2021A00053524009", value="x", status="Not available"),
    ))
    assert report.rows == 4
    halton = Observation.objects.get(geography__slug="halton")
    assert halton.value == Decimal("32.5") and halton.status == "final"
    burlington = Observation.objects.get(geography__slug="burlington")
    assert (burlington.period, burlington.period_start, burlington.period_end) == (
        "2017-2018", 2017, 2018)
    assert burlington.value == Decimal("1204.5") and burlington.status == "preliminary"
    ontario = Observation.objects.get(geography__slug="ontario")
    assert ontario.value is None and ontario.status == "suppressed"
    assert ontario.note == "small counts"
    assert Observation.objects.get(geography__slug="milton").status == "not_available"


def test_it_updates_an_existing_observation_instead_of_adding_one(indicator, geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2021",
                       value=10)
    observations_import(rows(row(value="12.5", ci_low="11", ci_high="14")))
    obs = Observation.objects.get()
    assert obs.value == Decimal("12.5")
    assert (obs.ci_low, obs.ci_high) == (Decimal("11"), Decimal("14"))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (row(indicator="nope"), "Unknown indicator “nope”"),
        (row(geography="Toronto"), "Unknown geography “Toronto”"),
        (row(value="lots"), "The value “lots” is not a number"),
        (row(value="x"), "leave the value empty"),
        (row(value=""), "The value is empty"),
        (row(value="5", status="suppressed"), "must have an empty value"),
        (row(period="2021 Q1"), "The period “2021 Q1” is not a year"),
        (row(period="2019-2017"), "runs backwards"),
        (row(status="maybe"), "The status “maybe” is not one of"),
        (row(ci_low="30"), "Give both ends of the confidence interval"),
        (row(ci_low="33", ci_high="40"), "must run from low to high around the value"),
    ],
)
def test_it_rejects_a_bad_row_naming_it_and_writes_nothing(indicator, bad, message):
    with pytest.raises(ImportRejected) as caught:
        observations_import(rows(row(geography="halton"), row(geography="milton"), bad))
    assert len(caught.value.errors) == 1
    error = caught.value.errors[0]
    assert error.row == 4
    assert message in error.message
    assert str(error).startswith("Row 4: ")
    assert not Observation.objects.exists()


def test_it_rejects_a_duplicate_row_in_the_same_file(indicator):
    with pytest.raises(ImportRejected) as caught:
        observations_import(rows(row(), row(geography="milton"), row(geography="Halton Region")))
    assert [(e.row, e.message) for e in caught.value.errors] == [
        (4, "Duplicate of row 2 (same indicator, geography and period).")
    ]
    assert not Observation.objects.exists()


def test_it_keeps_existing_data_when_a_file_is_rejected(indicator, geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2021",
                       value=10)
    with pytest.raises(ImportRejected):
        observations_import(rows(row(value="99"), row(geography="nowhere")))
    assert Observation.objects.get().value == Decimal("10")


def test_it_lists_every_bad_row_up_to_a_limit(indicator):
    bad = [row(geography="halton", period=str(1950 + n), value="?") for n in range(60)]
    with pytest.raises(ImportRejected) as caught:
        observations_import(rows(*bad))
    assert len(caught.value.errors) == 50
    assert caught.value.more == 10
    assert "… and 10 more rows with errors." in caught.value.summary()


def test_it_rejects_a_file_without_rows(indicator):
    with pytest.raises(ImportRejected, match="no rows of data"):
        observations_import([])


def test_it_replaces_the_series_when_asked(indicator, geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2010")
    other = ObservationFactory(geography=geographies["halton"], period="2010")
    observations_import(rows(row()), replace=True)
    assert list(indicator.observations.values_list("period", flat=True)) == ["2021"]
    assert Observation.objects.filter(pk=other.pk).exists()


def test_it_queues_a_dashboard_refresh_after_commit(indicator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        observations_import(rows(row()))
    assert callbacks
    assert indicator.__class__.objects.get(pk=indicator.pk).summary.region_value == Decimal("32.5")
