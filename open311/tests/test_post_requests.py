"""POST requests: a calling system hands a resident's issue over with its key."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from actiontables.models import ActionTable
from cswb.outbox.models import Message
from issues.models import Issue, ReferenceCounter, TopicRoute
from issues.tests.factories import TriageContactFactory
from open311 import services
from open311.models import ApiKey
from open311.tests.conftest import error_of


def _nothing_saved():
    return (Issue.objects.count(), Message.objects.count(), ReferenceCounter.objects.count())


def test_a_posted_request_reaches_triage_with_its_mail_in_the_outbox(
    georeport, request_data, api_key, client, triage_user
):
    TriageContactFactory(email="cswb@halton.example")
    table = ActionTable.objects.create(
        name="Homelessness Action Table", slug="homelessness", summary="Housing partners.",
        contact_email="homelessness-table@halton.example",
    )
    TopicRoute.objects.create(topic="housing", action_table=table)

    response, answer = georeport.post("requests", **request_data())

    assert response.status_code == 201
    issue = Issue.objects.get()
    year = timezone.localdate().year
    assert answer[0]["service_request_id"] == issue.reference == f"CSWB-{year}-00001"
    assert "five working days" in answer[0]["service_notice"]
    assert (issue.channel, issue.topic, issue.municipality.slug) == ("open311", "housing", "milton")
    assert (issue.name, issue.email, issue.consent_method) == (
        "Robin Resident", "robin@example.org", "calling_system"
    )
    assert issue.location == "Arena parking lot, Main Street, Milton"
    assert issue.events.get().text.startswith("Sent by Halton 311 CRM through Open311")
    sent = dict(
        Message.objects.filter(dedupe_key__startswith=f"issue:{issue.pk}:").values_list(
            "to_email", "kind"
        )
    )
    assert sent == {
        "robin@example.org": "issues.acknowledgement",
        "cswb@halton.example": "issues.new_issue",
        "homelessness-table@halton.example": "issues.routed",
    }
    client.force_login(triage_user)
    queue = client.get(reverse("admin:issues_issue_changelist") + "?status__exact=new")
    assert issue.reference in queue.content.decode()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(ApiKey), action=LogEntry.Action.ACCESS
    )
    assert entry.object_pk == str(api_key[0].pk)
    assert entry.additional_data["status"] == 201
    assert entry.additional_data["service_request_id"] == issue.reference


def test_the_answer_in_xml_carries_the_reference(georeport, request_data):
    response, answer = georeport.post("requests", "xml", **request_data())
    assert response.status_code == 201
    assert answer.tag == "service_requests"
    assert answer.find("request").findtext("service_request_id") == Issue.objects.get().reference


def test_an_anonymous_request_keeps_no_contact_and_mails_only_staff(georeport, request_data):
    TriageContactFactory(email="cswb@halton.example")
    data = request_data(first_name=None, last_name=None, email=None, phone=None,
                        **{"attribute[contact_consent]": "no"})
    response, _answer = georeport.post("requests", **data)
    assert response.status_code == 201
    issue = Issue.objects.get()
    assert (issue.anonymous, issue.email, issue.consent_method) == (True, "", "")
    assert list(Message.objects.values_list("to_email", flat=True)) == ["cswb@halton.example"]


@pytest.mark.parametrize(
    ("overrides", "slug"),
    [
        ({"address_string": "12 Mill Street, Georgetown"}, "halton-hills"),
        ({"address_string": None, "attribute[municipality]": "oakville"}, "oakville"),
        ({"address_string": None, "lat": "43.5183", "long": "-79.8774",
          "attribute[municipality]": "milton"}, "milton"),
    ],
)
def test_the_location_may_be_an_address_a_municipality_or_coordinates(
    georeport, request_data, overrides, slug
):
    response, _answer = georeport.post("requests", **request_data(**overrides))
    assert response.status_code == 201, _answer
    issue = Issue.objects.get()
    assert issue.municipality.slug == slug
    if "lat" in overrides:
        assert (str(issue.latitude), str(issue.longitude)) == ("43.518300", "-79.877400")


BAD_INPUT = [
    ({"service_code": None}, 400, "service_code was not provided"),
    ({"service_code": "potholes"}, 400, "service_code potholes was not found"),
    ({"address_string": None}, 400, "No location"),
    ({"address_string": "Main Street"}, 400, "which municipality"),
    ({"address_string": "Burlington Street, Oakville"}, 400, "more than one municipality"),
    ({"address_string": None, "lat": "43.5"}, 400, "lat and long together"),
    ({"address_string": None, "lat": "43.65", "long": "-79.38"}, 400, "outside Halton"),
    ({"address_string": None, "lat": "north", "long": "-79.9"}, 400, "lat must be a number"),
    ({"address_string": None, "lat": "43.5", "long": "-79.9"}, 400, "which municipality"),
    ({"attribute[municipality]": "toronto"}, 400, "attribute[municipality] must be one of"),
    ({"attribute[colour]": "red"}, 400, "Unknown attribute"),
    ({"description": "x" * 4001}, 400, "the most is 4,000"),
    ({"description": "Too short"}, 400, "at least 10 characters"),
    ({"description": "People <b>sleep</b> outside the library."}, 400, "without HTML"),
    ({"description": "People sleep outside\x00 the library."}, 400, "description"),
    ({"attribute[contact_consent]": None}, 400, "attribute[contact_consent]=yes"),
    ({"attribute[contact_consent]": "no"}, 400, "attribute[contact_consent]=no"),
    ({"attribute[contact_consent]": "maybe"}, 400, "yes or no"),
    ({"email": "not-an-address"}, 400, "email:"),
    ({"first_name": None, "last_name": None}, 400, "first_name/last_name"),
    ({"jurisdiction_id": "toronto.ca"}, 400, "jurisdiction_id toronto.ca was not found"),
    ({"api_key": None}, 403, "api_key was not provided"),
    ({"api_key": "cswb311_not-a-real-key"}, 403, "api_key is not valid"),
]


@pytest.mark.parametrize(("overrides", "status", "says"), BAD_INPUT)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_is_answered_in_the_standard_shape_and_saves_nothing(
    georeport, request_data, overrides, status, says, fmt
):
    response, answer = georeport.post("requests", fmt, **request_data(**overrides))
    assert response.status_code == status
    code, description = error_of(answer)
    assert code == status
    assert says in description
    assert _nothing_saved() == (0, 0, 0)


def test_repeated_or_conflicting_parameters_are_refused(georeport, client, request_data):
    data = request_data()
    data["service_code"] = ["housing", "youth"]
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 400
    answer = georeport.parse(response, "requests", "POST", "json")
    assert "repeated: service_code" in error_of(answer)[1]
    response, answer = georeport.post(
        "requests", query=f"api_key={request_data()['api_key']}", **request_data()
    )
    assert response.status_code == 400
    assert "repeated: api_key" in error_of(answer)[1]
    assert _nothing_saved() == (0, 0, 0)


def test_a_revoked_key_or_one_for_another_jurisdiction_is_refused(
    georeport, request_data, api_key, cswb_admin
):
    other, other_raw = services.key_create(name="Peel 311")
    ApiKey.objects.filter(pk=other.pk).update(jurisdiction_id="peelregion.ca")
    response, answer = georeport.post("requests", **request_data(api_key=other_raw))
    assert response.status_code == 403
    assert "peelregion.ca" in error_of(answer)[1]
    services.key_revoke(key=api_key[0], by=cswb_admin)
    response, answer = georeport.post("requests", **request_data())
    assert response.status_code == 403
    assert "revoked" in error_of(answer)[1]
    assert _nothing_saved() == (0, 0, 0)
    refused = LogEntry.objects.get_for_object(api_key[0]).filter(action=LogEntry.Action.ACCESS)
    assert refused.latest("timestamp").additional_data["status"] == 403
    assert LogEntry.objects.get_for_object(other).get(
        action=LogEntry.Action.ACCESS
    ).additional_data["status"] == 403


def test_a_flood_from_one_key_is_stopped_at_its_hourly_limit(georeport, request_data, api_key):
    ApiKey.objects.filter(pk=api_key[0].pk).update(hourly_limit=2)
    for _ in range(2):
        assert georeport.post("requests", **request_data())[0].status_code == 201
    response, answer = georeport.post("requests", **request_data())
    assert response.status_code == 429
    assert error_of(answer)[0] == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Issue.objects.count() == 2
    # Another key is counted on its own.
    _other, other_raw = services.key_create(name="Partner case system")
    assert georeport.post("requests", **request_data(api_key=other_raw))[0].status_code == 201
    statuses = sorted(
        LogEntry.objects.get_for_object(api_key[0]).filter(action=LogEntry.Action.ACCESS)
        .values_list("additional_data__status", flat=True)
    )
    assert statuses == [201, 201, 429]
