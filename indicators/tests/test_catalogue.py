"""The open data as catalogue software sees it: the DCAT-US catalogue, the Frictionless data
package (validated with the frictionless library against the served CSVs), the dictionary,
robots.txt and sitemap.xml, CORS and compression."""

import gzip
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Observation, RemoteSource
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from indicators.vocabulary import DATA_COLUMNS

# DCAT-US 1.1: the fields every dataset must have (non-federal publishers).
DCAT_REQUIRED = ["title", "description", "keyword", "modified", "publisher", "contactPoint",
                 "identifier", "accessLevel"]


@pytest.fixture
def published(geographies):
    csi = IndicatorFactory(slug="csi", name="Crime Severity Index", unit="index",
                           licence="statcan-open")
    RemoteSource.objects.create(name="CSI", indicator=csi, layout="wds_series",
                                table="35-10-0188-01", table_title="Crime severity",
                                mapping={"members": {}, "geographies": {"halton": "x"}})
    for year, value in [(2013, "25.54"), (2019, "27.1"), (2020, "24.0")]:
        ObservationFactory(indicator=csi, period=str(year), value=Decimal(value))
    ObservationFactory(indicator=csi, period="2020", geography=geographies["ontario"],
                       value=None, status=Observation.Status.SUPPRESSED)
    plan = IndicatorFactory(slug="plan-figure", name="A plan figure", licence="publisher",
                            licence_terms="Cite the plan.", how_updated="The data steward ...")
    ObservationFactory(indicator=plan, period="2017-2018", value=Decimal("-3.5"),
                       note="=SUM(A1)")
    IndicatorFactory(slug="draft", published=False)
    return csi, plan


def test_the_catalogue_has_every_required_dcat_us_field(client, published, settings):
    settings.SITE_URL = "https://cswb.example.org"
    response = client.get("/data.json", HTTP_ACCEPT_ENCODING="identity")
    assert response["Access-Control-Allow-Origin"] == "*"
    catalogue = json.loads(response.content)
    assert catalogue["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert catalogue["@type"] == "dcat:Catalog"
    datasets = catalogue["dataset"]
    assert [d["title"] for d in datasets][1:] == ["Crime Severity Index", "A plan figure"]
    for dataset in datasets:
        for name in DCAT_REQUIRED:
            assert dataset[name], (dataset["title"], name)
        assert isinstance(dataset["keyword"], list) and all(dataset["keyword"])
        assert dataset["publisher"] == {"@type": "org:Organization", "name": "Halton Region"}
        assert dataset["contactPoint"]["hasEmail"] == "mailto:cswb@halton.ca"
        assert dataset["accessLevel"] == "public"
        for distribution in dataset["distribution"]:
            assert distribution["downloadURL"].startswith("https://cswb.example.org/")
            assert distribution["mediaType"] in ("text/csv", "application/json")
    csi = datasets[1]
    assert csi["license"] == "https://www.statcan.gc.ca/en/reference/licence"
    assert csi["temporal"] == "2013-01-01/2020-12-31"
    assert csi["identifier"] == "https://cswb.example.org/dashboard/indicators/csi/"
    assert csi["accrualPeriodicity"] == "R/P1Y"
    assert datasets[2]["rights"] == "Cite the plan."


def test_downloads_carry_the_metadata_and_are_compressed(client, published):
    response = client.get(reverse("indicators:indicator_csv", args=["csi"]),
                          HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert response["Access-Control-Allow-Origin"] == "*"
    text = gzip.decompress(response.content).decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.split(",") == DATA_COLUMNS
    assert first.endswith("index,suppressed,,,,no,Statistics Canada Open Licence,Statistics "
                          "Canada. Table 35-10-0188-01 Crime severity. DOI: https://doi.org/10.25318/"
                          "3510018801-eng,,")
    plain = client.get(reverse("indicators:indicator_csv", args=["csi"]),
                       HTTP_ACCEPT_ENCODING="identity")
    assert "Content-Encoding" not in plain
    assert plain.content.decode("utf-8-sig") == text
    data = json.loads(client.get(reverse("indicators:indicator_json", args=["plan-figure"]),
                                 HTTP_ACCEPT_ENCODING="identity").content)
    described = data["indicators"][0]
    assert (described["licence"], described["how_updated"]) == ("Cite the plan.",
                                                                 "The data steward ...")
    assert data["catalogue"] == "/data.json"


def test_the_data_package_validates_with_frictionless(live_server, published, settings):
    frictionless = pytest.importorskip("frictionless")
    settings.SITE_URL = live_server.url
    url = live_server.url + reverse("indicators:datapackage")
    package = frictionless.Package(url)
    assert [r.name for r in package.resources] == ["halton-cswb-indicators", "csi",
                                                   "plan-figure"]
    report = package.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    rows = package.get_resource("halton-cswb-indicators").read_rows()
    assert len(rows) == 5
    suppressed = next(row for row in rows if row["status"] == "suppressed")
    assert suppressed["value"] is None and suppressed["geography"] == "ontario"
    assert next(row for row in rows if row["indicator"] == "plan-figure")["value"] == Decimal(
        "-3.5")
    schema = package.get_resource("csi").schema
    assert schema.primary_key == ["indicator", "geography", "period"]
    assert schema.get_field("status").constraints["enum"] == [
        "final", "preliminary", "suppressed", "not_available"]


def test_the_package_schema_catches_a_bad_row(live_server, published, settings):
    """The validation above can fail: a status outside the list or a repeated key is caught."""
    frictionless = pytest.importorskip("frictionless")
    settings.SITE_URL = live_server.url
    schema = frictionless.Package(
        live_server.url + reverse("indicators:datapackage")).get_resource("csi").schema
    row = ["csi", "x", "safety", "halton", "3524", "Halton", "2020", "2020", "2020", "1",
           "index", "final", "", "", "", "no", "", "", "", ""]
    bad_status = [*row[:11], "made-up", *row[12:]]
    resource = frictionless.Resource(data=[DATA_COLUMNS, row, row, bad_status], schema=schema)
    report = resource.validate()
    assert not report.valid
    assert {kind for (kind,) in report.flatten(["type"])} == {"primary-key",
                                                              "constraint-error"}


def test_the_dictionary_names_every_column(client, published):
    page = client.get(reverse("indicators:data_dictionary")).content.decode()
    for name in DATA_COLUMNS:
        assert f"<code>{name}</code>" in page
    assert "not_available" in page and "/data.json" in page


def test_robots_and_sitemap(client, published, settings):
    settings.SITE_URL = "https://cswb.example.org"
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots and "Disallow: /issues/follow/" in robots
    assert "Sitemap: https://cswb.example.org/sitemap.xml" in robots
    sitemap = client.get("/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml")
    text = sitemap.content.decode()
    assert "<loc>https://cswb.example.org/dashboard/indicators/csi/</loc>" in text
    assert "/dashboard/indicators/draft/" not in text
    assert "<loc>https://cswb.example.org/dashboard/places/oakville/</loc>" in text


def test_open_data_answers_only_safe_methods(client, published):
    assert client.post("/data.json").status_code == 405
    assert client.post(reverse("indicators:datapackage")).status_code == 405
