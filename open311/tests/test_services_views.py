"""Discovery, the service list and service definitions: public, in XML and JSON."""

import pytest

from issues.models import Topic
from open311.tests.conftest import error_of


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_discovery_names_the_endpoint_and_its_formats(georeport, fmt):
    response, answer = georeport.get("discovery", fmt)
    assert response.status_code == 200
    if fmt == "json":
        endpoint = answer["endpoints"][0]
        assert endpoint["url"].endswith("/open311/v2")
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert "cswb@halton.ca" in answer["contact"]
    else:
        assert answer.tag == "discovery"
        assert [f.text for f in answer.iter("format")] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_lists_the_issue_topics_as_services(georeport, fmt):
    response, answer = georeport.get("services", fmt)
    assert response.status_code == 200
    if fmt == "json":
        assert [s["service_code"] for s in answer] == [t.value for t in Topic]
        housing = answer[1]
        assert (housing["service_name"], housing["metadata"], housing["type"]) == (
            "Housing and homelessness", True, "realtime"
        )
    else:
        assert answer.tag == "services"
        codes = [s.findtext("service_code") for s in answer.findall("service")]
        assert codes == [t.value for t in Topic]
        assert answer.find("service").findtext("metadata") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_offers_the_municipalities_and_who_is_affected(georeport, fmt):
    response, answer = georeport.get("services/youth", fmt)
    assert response.status_code == 200
    if fmt == "json":
        attributes = {a["code"]: a for a in answer["attributes"]}
        assert attributes["municipality"]["datatype"] == "singlevaluelist"
        assert [v["name"] for v in attributes["municipality"]["values"]] == [
            "Burlington", "Halton Hills", "Milton", "Oakville"
        ]
        assert attributes["affected"]["datatype"] == "string"
        assert [v["key"] for v in attributes["contact_consent"]["values"]] == ["yes", "no"]
    else:
        assert answer.tag == "service_definition"
        keys = [v.findtext("key") for v in answer.find("attributes/attribute/values")]
        assert keys == ["burlington", "halton-hills", "milton", "oakville"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_or_address_is_a_404_in_the_standard_shape(georeport, client, fmt):
    response, answer = georeport.get("services/potholes", fmt)
    assert response.status_code == 404
    assert error_of(answer)[0] == 404
    response = client.get(f"/open311/v2/nothing.{fmt}")
    assert response.status_code == 404
    assert error_of(georeport.parse(response, "nothing", "GET", fmt))[0] == 404


def test_a_wrong_method_or_jurisdiction_is_refused_in_the_standard_shape(georeport, client):
    response = client.delete("/open311/v2/services.json")
    assert response.status_code == 405
    assert error_of(georeport.parse(response, "services", "DELETE", "json"))[0] == 405
    response, answer = georeport.get("services", jurisdiction_id="toronto.ca")
    assert response.status_code == 404
    assert "toronto.ca" in error_of(answer)[1]
    response, answer = georeport.get("services", jurisdiction_id="halton.ca")
    assert response.status_code == 200
