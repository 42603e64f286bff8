import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from indicators.models import Observation
from indicators.tests.factories import IndicatorFactory, ObservationFactory

HEADER = ('"REF_DATE","GEO","DGUID","Sex","Characteristics","UOM","UOM_ID","SCALAR_FACTOR",'
          '"SCALAR_ID","VECTOR","COORDINATE","VALUE","STATUS","SYMBOL","TERMINATED","DECIMALS"')


def line(ref, geo, dguid, sex, value, status="", symbol="", scalar="units", scalar_id="0"):
    return (f'"{ref}","{geo}","{dguid}","{sex}","Percent","Percent","239","{scalar}",'
            f'"{scalar_id}","v1","1.1","{value}","{status}","{symbol}","",1')


TABLE = "\n".join([
    HEADER,
    line("2019", "Canada", "2021A000011124", "Both sexes", "40.1"),
    line("2019", "Ontario", "2021A000235", "Both sexes", "38.2"),
    line("2019", "Ontario", "2021A000235", "Females", "36.0"),
    line("2019", "Halton", "2021A00033524", "Both sexes", "31.5", status="E"),
    line("2019", "Burlington", "2021A00053524002", "Both sexes", "", status="x"),
    line("2019", "Milton", "2021A00053524009", "Both sexes", "", status=".."),
    line("2020", "Halton", "2021A00033524", "Both sexes", "30.9", symbol="p"),
    line("2019/2020", "Oakville", "2021A00053524001", "Both sexes", "1.2", scalar="thousands",
         scalar_id="3"),
]) + "\n"


@pytest.fixture
def indicator(geographies):
    return IndicatorFactory(slug="smokers")


def test_it_imports_the_matching_rows_of_a_full_table(indicator, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(TABLE, encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_statcan", str(path), "--indicator", "smokers", "--filter",
                 "Sex=Both sexes", stdout=out)
    assert "6 observations imported into smokers from 8 rows" in out.getvalue()
    assert "read 8 rows" in out.getvalue()  # the progress display
    by_geo = {o.geography.slug + o.period: o for o in Observation.objects.select_related(
        "geography")}
    assert by_geo["ontario2019"].value == Decimal("38.2")
    assert by_geo["halton2019"].note == "Use with caution (E)."
    assert by_geo["burlington2019"].status == "suppressed"
    assert by_geo["burlington2019"].value is None
    assert by_geo["milton2019"].status == "not_available"
    assert by_geo["halton2020"].status == "preliminary"
    assert by_geo["oakville2019-2020"].value == Decimal("1200")


def test_it_names_the_bad_row_and_imports_nothing(indicator, tmp_path, geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2010")
    bad = TABLE + line("2021-03", "Halton", "2021A00033524", "Both sexes", "29") + "\n"
    path = tmp_path / "table.csv"
    path.write_text(bad)
    with pytest.raises(CommandError, match="Row 10: The period “2021-03”"):
        call_command("import_statcan", str(path), "--indicator", "smokers", "--filter",
                     "Sex=Both sexes", "--replace", stdout=io.StringIO(), stderr=io.StringIO())
    assert list(indicator.observations.values_list("period", flat=True)) == ["2010"]


def test_it_reports_a_filter_that_leaves_duplicates(indicator, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(TABLE)
    with pytest.raises(CommandError, match="Duplicate of row"):
        call_command("import_statcan", str(path), "--indicator", "smokers",
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert not Observation.objects.exists()


def test_it_refuses_a_filter_on_a_column_the_table_lacks(indicator, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(TABLE)
    with pytest.raises(CommandError, match="lacks the column\\(s\\) Age group"):
        call_command("import_statcan", str(path), "--indicator", "smokers", "--filter",
                     "Age group=Total", stdout=io.StringIO(), stderr=io.StringIO())


def test_it_refuses_an_unknown_indicator(tmp_path, geographies):
    path = tmp_path / "table.csv"
    path.write_text(TABLE)
    with pytest.raises(CommandError, match="No indicator has the slug 'nope'"):
        call_command("import_statcan", str(path), "--indicator", "nope", stdout=io.StringIO())


def test_it_imports_a_table_from_the_admin(client, steward_user, indicator):
    client.force_login(steward_user)
    url = reverse("admin:indicators_observation_import_statcan")
    assert "Dimension filter" in client.get(url).content.decode()
    response = client.post(url, {
        "csv_file": SimpleUploadedFile("table.csv", TABLE.encode()),
        "indicator": indicator.pk, "filters": "Sex = Both sexes",
    }, follow=True)
    assert "6 observations imported into" in response.content.decode()
    assert indicator.observations.count() == 6


def test_it_shows_the_bad_rows_in_the_admin(client, steward_user, indicator):
    client.force_login(steward_user)
    url = reverse("admin:indicators_observation_import_statcan")
    bad = TABLE + line("2021", "Halton", "2021A00033524", "Both sexes", "lots") + "\n"
    response = client.post(url, {
        "csv_file": SimpleUploadedFile("table.csv", bad.encode()),
        "indicator": indicator.pk, "filters": "Sex = Both sexes",
    })
    content = response.content.decode()
    assert "Nothing was imported" in content
    assert "Row 10: The value “lots” is not a number." in content
    assert "The value is empty" not in content
    assert "lots" in content and 'value="Sex = Both sexes"' not in content  # textarea keeps it
    assert "Sex = Both sexes</textarea>" in content
    assert not Observation.objects.exists()


def test_it_refuses_the_admin_page_to_other_roles(client, lead_user):
    client.force_login(lead_user)
    response = client.get(reverse("admin:indicators_observation_import_statcan"))
    assert response.status_code == 403


def ci_line(ref, dguid, characteristic, value, status=""):
    return (f'"{ref}","Place","{dguid}","Both sexes","{characteristic}","Percent","239",'
            f'"units","0","v2","1.2","{value}","{status}","","",1')


CI_TABLE = "\n".join([
    HEADER,
    ci_line("2019", "2021A00033524", "Low 95% confidence interval - percent", "29.0"),
    ci_line("2019", "2021A00033524", "Percent", "31.5"),
    ci_line("2019", "2021A00033524", "High 95% confidence interval - percent", "34.0"),
    ci_line("2019", "2021A000235", "Percent", "38.2"),
    ci_line("2019", "2021A00053524002", "Percent", "", status="x"),
    ci_line("2019", "2021A00053524002", "Low 95% confidence interval - percent", "",
            status="x"),
]) + "\n"
CI_ARGS = ["--ci-column", "Characteristics", "--value-label", "Percent",
           "--low-label", "Low 95% confidence interval - percent",
           "--high-label", "High 95% confidence interval - percent"]


def test_it_attaches_confidence_intervals_from_their_own_rows(indicator, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(CI_TABLE)
    call_command("import_statcan", str(path), "--indicator", "smokers", *CI_ARGS,
                 stdout=io.StringIO())
    halton = Observation.objects.get(geography__slug="halton")
    assert (halton.value, halton.ci_low, halton.ci_high) == (
        Decimal("31.5"), Decimal("29.0"), Decimal("34.0"))
    ontario = Observation.objects.get(geography__slug="ontario")
    assert (ontario.ci_low, ontario.ci_high) == (None, None)
    assert Observation.objects.get(geography__slug="burlington").status == "suppressed"
    assert Observation.objects.count() == 3


def test_it_asks_for_every_interval_label(indicator, tmp_path):
    path = tmp_path / "table.csv"
    path.write_text(CI_TABLE)
    with pytest.raises(CommandError, match="needs --value-label"):
        call_command("import_statcan", str(path), "--indicator", "smokers", "--ci-column",
                     "Characteristics", stdout=io.StringIO())


def test_the_admin_imports_intervals_and_wants_all_four_fields(client, steward_user, indicator):
    client.force_login(steward_user)
    url = reverse("admin:indicators_observation_import_statcan")
    response = client.post(url, {
        "csv_file": SimpleUploadedFile("table.csv", CI_TABLE.encode()),
        "indicator": indicator.pk, "ci_column": "Characteristics",
    })
    assert "Give all four interval fields, or none." in response.content.decode()
    client.post(url, {
        "csv_file": SimpleUploadedFile("table.csv", CI_TABLE.encode()),
        "indicator": indicator.pk, "ci_column": "Characteristics", "ci_value": "Percent",
        "ci_low": "Low 95% confidence interval - percent",
        "ci_high": "High 95% confidence interval - percent",
    })
    assert Observation.objects.get(geography__slug="halton").ci_high == Decimal("34.0")
