import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from indicators.models import Indicator, Observation
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from indicators.tests.helpers import PNG, csv_bytes, xlsx_bomb, xlsx_bytes

IMPORT_URL = reverse("admin:indicators_observation_import")
CONFIRM_URL = reverse("admin:indicators_observation_process_import")


def good_rows():
    return [
        {"indicator": "belonging", "geography": "3524", "period": "2020", "value": "31"},
        {"indicator": "belonging", "geography": "35", "period": "2020", "value": "30",
         "ci_low": "29", "ci_high": "31"},
        {"indicator": "belonging", "geography": "Milton", "period": "2019-2020", "value": "",
         "status": "suppressed"},
    ]


@pytest.fixture
def indicator(geographies):
    return IndicatorFactory(slug="belonging")


def upload(client, data, name, fmt="0"):
    return client.post(IMPORT_URL, {
        "resource": "0", "format": fmt, "import_file": SimpleUploadedFile(name, data),
    })


def confirm_fields(content: str, url: str = CONFIRM_URL) -> dict:
    form = content[content.index('action="' + url):]
    form = form[:form.index("</form>")]
    return dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form))


def test_it_previews_a_csv_then_imports_it_on_confirm(client, steward_user, indicator,
                                                      django_capture_on_commit_callbacks):
    client.force_login(steward_user)
    response = upload(client, csv_bytes(good_rows()), "figures.csv")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Every row is valid: 3 new observations and 0 updated ones." in content
    assert '<th scope="row">4</th>' in content and "<td>Milton</td>" in content
    assert not Observation.objects.exists()  # the preview is a dry run
    fields = confirm_fields(response.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONFIRM_URL, fields)
    assert response.status_code == 302
    assert Observation.objects.count() == 3
    [entry] = LogEntry.objects.all()
    assert entry.change_message == "Imported 3 new and 0 updated observations."
    milton = Observation.objects.get(geography__slug="milton")
    assert (milton.period, milton.status, milton.value) == ("2019-2020", "suppressed", None)
    indicator.refresh_from_db()
    assert indicator.summary.region_value == Decimal("31")
    assert indicator.summary.comparison == "similar"  # 31 sits inside Ontario's 29-31 interval


def test_it_imports_an_xlsx_and_updates_existing_rows(client, steward_user, indicator,
                                                       geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2020",
                       value=5)
    client.force_login(steward_user)
    response = upload(client, xlsx_bytes(good_rows()), "figures.xlsx", fmt="1")
    fields = confirm_fields(response.content.decode())
    client.post(CONFIRM_URL, fields)
    assert Observation.objects.count() == 3
    assert Observation.objects.get(geography__slug="halton").value == Decimal("31")


def test_it_shows_each_bad_row_and_offers_no_confirm(client, steward_user, indicator):
    client.force_login(steward_user)
    rows = good_rows() + [
        {"indicator": "nope", "geography": "3524", "period": "2020", "value": "1"},
        {"indicator": "belonging", "geography": "3524", "period": "2020", "value": "2"},
        {"indicator": "belonging", "geography": "3524", "period": "20x", "value": "2"},
    ]
    response = upload(client, csv_bytes(rows), "figures.csv")
    content = response.content.decode()
    assert "Spreadsheet row 5: Unknown indicator “nope”" in content
    assert "Spreadsheet row 6: Duplicate of row 2" in content
    assert "Spreadsheet row 7: The period “20x” is not a year" in content
    assert CONFIRM_URL not in content
    assert not Observation.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (PNG, "chart.png", "Only CSV and XLSX files can be imported."),
        (PNG, "chart.csv", "binary data"),
        (None, "bomb.xlsx", "declares XML entities"),
    ],
)
def test_it_refuses_bad_files_with_a_clear_error(client, steward_user, indicator, data, name,
                                                  message):
    client.force_login(steward_user)
    data = data or xlsx_bomb(good_rows())
    response = upload(client, data, name, fmt="1" if name.endswith("xlsx") else "0")
    assert message in response.content.decode()
    assert not Observation.objects.exists()


def test_it_refuses_a_file_over_the_limit(client, steward_user, indicator, settings):
    settings.INDICATORS_MAX_UPLOAD_BYTES = 200 * 1024
    client.force_login(steward_user)
    response = upload(client, b"indicator,geography,period,value\n" + b"x" * 300 * 1024,
                      "huge.csv")
    assert "the limit is 0.2 MB" in response.content.decode()


def test_it_exports_observations_with_formula_cells_escaped(client, steward_user, indicator,
                                                          geographies):
    ObservationFactory(indicator=indicator, geography=geographies["halton"], period="2020",
                       value=Decimal("-3.5"), note="=HYPERLINK(\"http://evil\")")
    client.force_login(steward_user)
    response = client.post(reverse("admin:indicators_observation_export"), {
        "format": "0", "resource": "0",
        **{f"observationresource_{name}": "on" for name in
           ["indicator", "geography", "period", "value", "status", "ci_low", "ci_high",
            "note"]},
    })
    text = response.content.decode()
    assert response.status_code == 200, text[:500]
    assert "'=HYPERLINK" in text
    assert ",-3.5000," in text  # numbers stay numbers, even negative ones


@pytest.mark.parametrize("role", ["outsider", "lead", "grant_staff", "triage"])
def test_it_keeps_the_import_from_other_roles(client, role_users, role, indicator):
    client.force_login(role_users[role])
    assert client.get(IMPORT_URL).status_code == 403
    response = upload(client, csv_bytes(good_rows()), "figures.csv")
    assert response.status_code == 403
    assert not Observation.objects.exists()


INDICATOR_HEADER = ["slug", "name", "domain", "definition", "unit", "decimals", "direction",
                    "zone", "source_name", "source_url", "notes", "published", "is_demo",
                    "order"]


def indicator_row(**fields):
    row = {"slug": "shelter-use", "name": "Shelter use", "domain": "community-well-being",
           "definition": "Nights in shelter.", "unit": "count", "decimals": "0",
           "direction": "neutral", "zone": "risk-intervention", "source_name": "Region",
           "source_url": "", "notes": "", "published": "1", "is_demo": "0", "order": "3"}
    row.update(fields)
    return row


def test_it_imports_indicators_after_a_preview(client, steward_user, domains):
    client.force_login(steward_user)
    response = client.post(reverse("admin:indicators_indicator_import"), {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile(
            "indicators.csv", csv_bytes([indicator_row()], header=INDICATOR_HEADER)),
    })
    confirm_url = reverse("admin:indicators_indicator_process_import")
    fields = confirm_fields(response.content.decode(), confirm_url)
    client.post(confirm_url, fields)
    indicator = Indicator.objects.get(slug="shelter-use")
    assert (indicator.unit, indicator.zone, indicator.domain.slug) == (
        "count", "risk-intervention", "community-well-being")


def test_it_refuses_an_indicator_with_an_unknown_unit(client, steward_user, domains):
    client.force_login(steward_user)
    response = client.post(reverse("admin:indicators_indicator_import"), {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile(
            "indicators.csv", csv_bytes([indicator_row(unit="furlongs")],
                                        header=INDICATOR_HEADER)),
    })
    assert "Value &#x27;furlongs&#x27; is not a valid choice." in response.content.decode()
    assert not Indicator.objects.exists()


def test_it_lists_each_problem_row_by_its_spreadsheet_number_in_words(client, steward_user,
                                                                       domains):
    client.force_login(steward_user)
    rows = [indicator_row(), indicator_row(slug="second", unit="furlongs")]
    response = client.post(reverse("admin:indicators_indicator_import"), {
        "resource": "0", "format": "0",
        "import_file": SimpleUploadedFile(
            "indicators.csv", csv_bytes(rows, header=INDICATOR_HEADER)),
    })
    html = " ".join(response.content.decode().split())
    # The header is row 1 and the first indicator row 2: the bad one is row 3 of the file.
    assert '<th scope="row">3</th>' in html
    assert "Column “unit”: Value &#x27;furlongs&#x27; is not a valid choice." in html
    assert "validation-error-container" not in html  # nothing hidden behind a hover
    assert not Indicator.objects.exists()
