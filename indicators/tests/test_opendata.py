import csv
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators import services
from indicators.tests.factories import IndicatorFactory, ObservationFactory
from indicators.views import DATA_COLUMNS


@pytest.fixture
def data(geographies):
    rate = IndicatorFactory(slug="rate", name="=cmd|' /C calc'!A0", unit="rate_100000")
    ObservationFactory(indicator=rate, geography=geographies["halton"], period="2017-2018",
                       value=Decimal("-2.5"), ci_low=Decimal("-3"), ci_high=Decimal("-2"),
                       note="+SUM(A1:A9)")
    ObservationFactory(indicator=rate, geography=geographies["milton"], period="2018",
                       value=None, status="suppressed")
    hidden = IndicatorFactory(slug="hidden", published=False)
    ObservationFactory(indicator=hidden, geography=geographies["halton"])
    sample = IndicatorFactory(slug="sample", is_demo=True)
    ObservationFactory(indicator=sample, geography=geographies["ontario"], value=7)
    services.dashboard_refresh()


def read_csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_it_downloads_an_indicator_as_csv_with_stable_columns_and_escaped_cells(client, data):
    response = client.get(reverse("indicators:indicator_csv", args=["rate"]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="rate.csv"' in response["Content-Disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == DATA_COLUMNS
    halton, milton = rows
    assert halton["indicator_name"] == "'=cmd|' /C calc'!A0"
    assert halton["note"] == "'+SUM(A1:A9)"
    assert (halton["value"], halton["ci_low"], halton["ci_high"]) == ("-2.5000", "-3.0000",
                                                                      "-2.0000")
    assert (halton["period"], halton["period_start"], halton["period_end"]) == (
        "2017-2018", "2017", "2018")
    assert (halton["geography_code"], halton["unit"], halton["sample_data"]) == (
        "3524", "rate_100000", "no")
    assert (milton["status"], milton["value"]) == ("suppressed", "")


def test_it_downloads_an_indicator_as_json(client, data):
    payload = client.get(reverse("indicators:indicator_json", args=["rate"])).json()
    [indicator] = payload["indicators"]
    assert indicator["unit"] == "rate_100000"
    assert indicator["observations"][0]["value"] == -2.5
    assert indicator["observations"][1] == {
        "geography": "milton", "geography_code": "3524009", "geography_name": "Milton",
        "period": "2018", "period_start": 2018, "period_end": 2018, "value": None,
        "status": "suppressed", "ci_low": None, "ci_high": None, "note": "",
    }
    assert payload["statuses"]["not_available"] == "Not available"


def test_the_whole_dataset_holds_every_published_indicator_only(client, data):
    rows = read_csv(client.get(reverse("indicators:dataset_csv")))
    assert {row["indicator"] for row in rows} == {"rate", "sample"}
    assert {row["sample_data"] for row in rows if row["indicator"] == "sample"} == {"yes"}
    payload = json.loads(client.get(reverse("indicators:dataset_json")).content)
    assert sorted(i["indicator"] for i in payload["indicators"]) == ["rate", "sample"]
    assert [i["sample_data"] for i in payload["indicators"] if i["indicator"] == "sample"] == [
        True]


def test_downloads_answer_conditional_requests(client, data):
    url = reverse("indicators:dataset_csv")
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(
        url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    services.dashboard_refresh()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_an_unpublished_indicator_has_no_download(client, data):
    assert client.get(reverse("indicators:indicator_csv", args=["hidden"])).status_code == 404
    assert client.get(reverse("indicators:indicator_json", args=["hidden"])).status_code == 404
