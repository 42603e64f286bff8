"""GET requests and requests/{id}: status, public responses and dates, never personal details."""

import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.utils import timezone

from issues import services as issues_services
from issues.models import Issue
from issues.tests.factories import IssueFactory
from open311 import selectors
from open311.tests.conftest import error_of

W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")


@pytest.fixture
def issues(db, triage_user, homelessness_table):
    """A new issue, one answered, one referred, one closed, one spam, one too old to list."""
    now = timezone.now()
    new = IssueFactory(named=True, location="12 Hidden Lane, Oakville",
                       submitted_at=now - timedelta(days=1))
    answered = IssueFactory(topic="youth", submitted_at=now - timedelta(days=2))
    issues_services.issue_transition(issue=answered, name="respond", by=triage_user,
                                     response="We passed this to the youth outreach team.")
    referred = IssueFactory(submitted_at=now - timedelta(days=3))
    issues_services.issue_transition(issue=referred, name="refer", by=triage_user,
                                     action_table=homelessness_table)
    closed = IssueFactory(submitted_at=now - timedelta(days=4))
    issues_services.issue_transition(issue=closed, name="close", by=triage_user)
    spam = IssueFactory(submitted_at=now - timedelta(days=5), status=Issue.State.SPAM)
    old = IssueFactory(submitted_at=now - timedelta(days=120))
    return {"new": new, "answered": answered, "referred": referred, "closed": closed,
            "spam": spam, "old": old}


@pytest.fixture
def homelessness_table(db):
    from actiontables.models import ActionTable

    return ActionTable.objects.create(name="Homelessness Action Table", slug="homelessness",
                                      summary="Housing partners.",
                                      contact_email="homelessness-table@halton.example")


def _by_id(answer):
    return {r["service_request_id"]: r for r in answer}


def test_it_lists_the_last_90_days_newest_first_without_personal_details(
    georeport, api_key, issues
):
    response, answer = georeport.get("requests", api_key=api_key[1])
    assert response.status_code == 200
    refs = [r["service_request_id"] for r in answer]
    expected = ["new", "answered", "referred", "closed", "spam"]
    assert refs == [issues[name].reference for name in expected]
    rows = _by_id(answer)
    assert rows[issues["new"].reference]["status"] == "open"
    assert rows[issues["referred"].reference]["agency_responsible"] == "Homelessness Action Table"
    assert rows[issues["closed"].reference]["status"] == "closed"
    assert rows[issues["spam"].reference]["status"] == "closed"
    answered = rows[issues["answered"].reference]
    assert answered["status_notes"] == "We passed this to the youth outreach team."
    assert answered["service_code"] == "youth"
    assert all(W3C.match(r["requested_datetime"]) and W3C.match(r["updated_datetime"])
               for r in answer)
    text = response.content.decode()
    new = issues["new"]
    for private in (new.description, new.name, new.email, new.phone, new.location):
        assert private not in text
    assert not {"description", "address", "lat", "long"} & set(answer[0])


def test_the_xml_list_is_the_same(georeport, api_key, issues):
    response, answer = georeport.get("requests", "xml", api_key=api_key[1])
    assert answer.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in answer.findall("request")][0] == (
        issues["new"].reference
    )
    assert issues["new"].description not in response.content.decode()


def test_filters_narrow_the_list(georeport, api_key, issues):
    key = api_key[1]
    _r, answer = georeport.get("requests", api_key=key, status="closed")
    assert set(_by_id(answer)) == {issues["closed"].reference, issues["spam"].reference}
    _r, answer = georeport.get("requests", api_key=key, service_code="youth", status="open")
    assert list(_by_id(answer)) == [issues["answered"].reference]
    start = (timezone.now() - timedelta(days=130)).date().isoformat()
    end = (timezone.now() - timedelta(days=100)).date().isoformat()
    _r, answer = georeport.get("requests", api_key=key, start_date=start, end_date=end)
    assert list(_by_id(answer)) == [issues["old"].reference]
    ids = f"{issues['old'].reference},{issues['new'].reference},CSWB-1999-00001"
    _r, answer = georeport.get("requests", api_key=key, service_request_id=ids, status="closed")
    assert set(_by_id(answer)) == {issues["old"].reference, issues["new"].reference}


def test_it_answers_at_most_the_limit(georeport, api_key, issues, monkeypatch):
    monkeypatch.setattr(selectors, "LIMIT", 2)
    _r, answer = georeport.get("requests", api_key=api_key[1])
    assert [r["service_request_id"] for r in answer] == [
        issues["new"].reference, issues["answered"].reference
    ]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"start_date": "yesterday"}, "start_date must be a W3C date-time"),
        ({"end_date": "2026-13-45T00:00:00Z"}, "end_date must be a W3C date-time"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
         "at most 90 days apart"),
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "must come before"),
        ({"start_date": "9999-12-31"}, "must be real dates"),
        ({"end_date": "0001-01-01T00:00:00Z"}, "must be real dates"),
        ({"start_date": "0001-01-01T00:00:00+05:00", "end_date": "0001-01-02T00:00:00+05:00"},
         "must be real dates"),
        ({"status": "pending"}, "status must be open, closed"),
        ({"service_code": "housing,potholes"}, "potholes was not found"),
    ],
)
def test_bad_filters_are_a_400_in_the_standard_shape(georeport, api_key, params, says):
    response, answer = georeport.get("requests", api_key=api_key[1], **params)
    assert response.status_code == 400
    assert says in error_of(answer)[1]


def test_one_request_by_its_id_in_both_formats(georeport, api_key, issues):
    reference = issues["answered"].reference
    response, answer = georeport.get(f"requests/{reference}", api_key=api_key[1])
    assert response.status_code == 200
    assert answer[0]["status_notes"] == "We passed this to the youth outreach team."
    _r, answer = georeport.get(f"requests/{reference}", "xml", api_key=api_key[1])
    assert answer.find("request").findtext("status") == "open"
    response, answer = georeport.get("requests/CSWB-1999-00001", api_key=api_key[1])
    assert response.status_code == 404
    assert error_of(answer) == (404, "service_request_id CSWB-1999-00001 was not found.")


def test_reading_requests_needs_a_key_and_is_audited(georeport, client, api_key, issues):
    response, answer = georeport.get("requests")
    assert response.status_code == 403
    assert error_of(answer)[0] == 403
    response, _answer = georeport.get(f"requests/{issues['new'].reference}", "xml")
    assert response.status_code == 403
    georeport.get(f"requests/{issues['new'].reference}", api_key=api_key[1])
    entry = LogEntry.objects.get_for_object(api_key[0]).latest("timestamp")
    assert entry.additional_data["path"].endswith(f"{issues['new'].reference}.json")
    assert entry.additional_data["status"] == 200


def test_a_response_with_control_characters_is_still_valid_xml(georeport, api_key, triage_user):
    issue = IssueFactory()
    issues_services.issue_transition(issue=issue, name="respond", by=triage_user,
                                     response="Pasted from a letter:\x0bwe will call.")
    response, answer = georeport.get(f"requests/{issue.reference}", "xml", api_key=api_key[1])
    assert answer.find("request").findtext("status_notes") == "Pasted from a letter:we will call."
    _r, answer = georeport.get(f"requests/{issue.reference}", api_key=api_key[1])
    assert answer[0]["status_notes"] == "Pasted from a letter:\x0bwe will call."
