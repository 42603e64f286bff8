"""Fixtures for the Open311 tests: a key, and a client that checks every answer's format.

Every JSON answer is validated against the published GeoReport v2 schemas (``schemas/``, see
its README), or ours where none is published; every XML answer is parsed.
"""

import json
from pathlib import Path

import pytest
from defusedxml import ElementTree
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from indicators.reference import load_geographies
from open311 import services

SCHEMAS = Path(__file__).parent / "schemas"
PUBLISHED = SCHEMAS / "georeport-v2"
REGISTRY = Registry().with_resources(
    (path.name, Resource(contents=json.loads(path.read_text()), specification=DRAFT4))
    for path in PUBLISHED.glob("*.json")
)
BASE = "/open311/v2/"


def schema_for(path: str, method: str, status: int) -> str:
    """Return which schema file an answer must meet."""
    if status >= 400:
        return "cswb/errors.json"
    if path.startswith("discovery"):
        return "cswb/discovery.json"
    if path.startswith("services/"):
        return "georeport-v2/service-definition.json"
    if path.startswith("services"):
        return "georeport-v2/services.json"
    if method == "POST":
        return "cswb/post-response.json"
    return "georeport-v2/requests.json"


def validate(schema_name: str, data) -> None:
    schema = json.loads((SCHEMAS / schema_name).read_text())
    Draft4Validator(schema, registry=REGISTRY, format_checker=FormatChecker()).validate(data)


class GeoReport:
    """The test client, speaking GeoReport: ``get``/``post`` return (response, parsed answer)."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, fmt: str = "json", **params):
        response = self.client.get(f"{BASE}{path}.{fmt}", params)
        return response, self.parse(response, path, "GET", fmt)

    def post(self, path: str, fmt: str = "json", query: str = "", **data):
        url = f"{BASE}{path}.{fmt}" + (f"?{query}" if query else "")
        response = self.client.post(url, data)
        return response, self.parse(response, path, "POST", fmt)

    @staticmethod
    def parse(response, path: str, method: str, fmt: str):
        if fmt == "json":
            assert response["Content-Type"] == "application/json; charset=utf-8"
            data = json.loads(response.content)
            validate(schema_for(path, method, response.status_code), data)
            if isinstance(data, list):
                assert all(isinstance(item, dict) for item in data)
            return data
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        return ElementTree.fromstring(response.content)


@pytest.fixture(autouse=True)
def geographies(db):
    load_geographies()


@pytest.fixture
def georeport(client):
    return GeoReport(client)


@pytest.fixture
def api_key(db):
    """Return (key row, key) for a 311 contact centre."""
    return services.key_create(name="Halton 311 CRM", contact_name="Pat Contact",
                               contact_email="crm@halton.example")


@pytest.fixture
def request_data(api_key):
    """Return a function building a valid POST requests body, with overrides (None drops)."""

    def build(**overrides):
        data = {
            "api_key": api_key[1],
            "service_code": "housing",
            "description": "A family has been sleeping in their car behind the arena for a week.",
            "address_string": "Arena parking lot, Main Street, Milton",
            "attribute[affected]": "A family with two children",
            "attribute[contact_consent]": "yes",
            "first_name": "Robin",
            "last_name": "Resident",
            "email": "robin@example.org",
            "phone": "905-555-0123",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build


def error_of(answer) -> tuple[int, str]:
    """Return (code, description) of a JSON or XML error answer."""
    if isinstance(answer, list):
        return answer[0]["code"], answer[0]["description"]
    assert answer.tag == "errors"
    error = answer.find("error")
    return int(error.findtext("code")), error.findtext("description")
