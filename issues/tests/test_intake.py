"""Staff record an issue for a resident who called, wrote or came in."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cswb.outbox.models import Message
from indicators.models import Geography
from issues.models import Issue, IssueEvent
from issues.tests.factories import TriageContactFactory

INTAKE = reverse("admin:issues_issue_intake")


@pytest.fixture
def intake_data():
    def build(**overrides):
        data = {
            "channel": "phone",
            "notice_given": "on",
            "topic": "older_adults",
            "municipality": str(Geography.objects.get(slug="burlington").pk),
            "description": "The caller's neighbour, in her nineties, has not left home in weeks.",
            "affected": "An older neighbour living alone",
            "location": "",
            "contact": "named",
            "name": "Jordan Caller",
            "email": "jordan@example.org",
            "phone": "905-555-0188",
            "consent_to_contact": "on",
        }
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return build


def test_the_screen_shows_the_notice_to_read_out(client, triage_user):
    client.force_login(triage_user)
    html = client.get(INTAKE).content.decode()
    assert "read this to the resident before you take any details" in html
    assert "Municipal Freedom of Information and Protection of Privacy Act" in html
    assert "call 911" in html
    assert 'name="channel" value="walk_in"' in html
    changelist = client.get(reverse("admin:issues_issue_changelist")).content.decode()
    assert INTAKE in changelist


def test_triage_records_a_phone_call_and_the_resident_gets_the_same_emails(
    client, triage_user, intake_data, django_capture_on_commit_callbacks, mailoutbox
):
    TriageContactFactory(email="cswb@halton.example")
    client.force_login(triage_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INTAKE, intake_data())
    issue = Issue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:issues_issue_change", args=[issue.pk])
    assert issue.reference == f"CSWB-{timezone.localdate().year}-00001"
    assert (issue.channel, issue.consent_method, issue.status) == ("phone", "oral", "new")
    assert (issue.name, issue.email, issue.municipality.slug) == (
        "Jordan Caller", "jordan@example.org", "burlington"
    )
    event = issue.events.get()
    assert (event.kind, event.actor) == (IssueEvent.Kind.SUBMITTED, triage_user)
    assert "Phone call" in event.text and "Notice of collection given" in event.text
    kinds = dict(Message.objects.values_list("to_email", "kind"))
    assert kinds == {"jordan@example.org": "issues.acknowledgement",
                     "cswb@halton.example": "issues.new_issue"}
    acknowledgement = next(m for m in mailoutbox if m.to == ["jordan@example.org"])
    assert issue.reference in acknowledgement.subject
    page = client.get(response["Location"]).content.decode()
    assert f"Recorded as {issue.reference}" in page


def test_an_email_records_written_consent_and_a_walk_in_may_stay_anonymous(
    client, triage_user, intake_data
):
    client.force_login(triage_user)
    client.post(INTAKE, intake_data(channel="email"))
    client.post(INTAKE, intake_data(channel="walk_in", contact="anonymous", name="", email="",
                                    phone="", consent_to_contact=None, location="Town hall"))
    written, anonymous = Issue.objects.order_by("pk")
    assert (written.channel, written.consent_method) == ("email", "written")
    assert (anonymous.channel, anonymous.anonymous, anonymous.consent_method) == (
        "walk_in", True, ""
    )
    assert anonymous.location == "Town hall"


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"notice_given": None}, "Give the resident the notice of collection first."),
        ({"channel": "open311"}, "Select a valid choice."),
        ({"consent_to_contact": None}, "Tick this box"),
        ({"description": "x" * 4001}, "the most is 4,000"),
        ({"contact": "anonymous"}, "You chose to stay anonymous"),
    ],
)
def test_the_form_explains_what_is_missing_and_saves_nothing(
    client, triage_user, intake_data, overrides, says
):
    client.force_login(triage_user)
    response = client.post(INTAKE, intake_data(**overrides))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Issue.objects.exists()
    assert not Message.objects.exists()


@pytest.mark.parametrize("who", ["lead", "steward", "grant_staff", "reviewer", "outsider"])
def test_other_roles_cannot_record_issues(client, role_users, intake_data, who):
    client.force_login(role_users[who])
    assert client.get(INTAKE).status_code == 403
    assert client.post(INTAKE, intake_data()).status_code == 403
    assert not Issue.objects.exists()
