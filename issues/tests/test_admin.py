import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from issues.models import Issue, IssueEvent, Topic, TriageContact
from issues.tests.factories import IssueFactory

CHANGELIST = reverse("admin:issues_issue_changelist")
STATISTICS = reverse("admin:issues_issue_statistics")


def _change_url(issue):
    return reverse("admin:issues_issue_change", args=[issue.pk])


def _act_url(issue, name):
    return reverse("admin:issues_issue_transition", args=[issue.pk, name])


def _triage_form(issue, **fields):
    data = {
        "assigned_to": str(issue.assigned_to_id or ""),
        "internal_note": "",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("triage", 200), ("lead", 403), ("steward", 403), ("grant_staff", 403),
     ("reviewer", 403), ("outsider", 403)],
)
def test_only_triage_and_administrators_see_issues(client, role_users, who, status):
    issue = IssueFactory(named=True)
    client.force_login(role_users[who])
    for url in (CHANGELIST, _change_url(issue), STATISTICS):
        response = client.get(url)
        assert response.status_code == status, url
    if status == 200:
        assert issue.email.encode() in client.get(_change_url(issue)).content


def test_the_admin_index_hides_issues_from_other_roles(client, lead_user, triage_user):
    client.force_login(lead_user)
    assert b"Residents&#x27; issues" not in client.get(reverse("admin:index")).content
    client.force_login(triage_user)
    assert b"Residents&#x27; issues" in client.get(reverse("admin:index")).content


def test_triage_cannot_add_or_delete_issues(client, triage_user, cswb_admin):
    issue = IssueFactory()
    client.force_login(triage_user)
    assert client.get(reverse("admin:issues_issue_add")).status_code == 403
    assert client.post(reverse("admin:issues_issue_delete", args=[issue.pk]),
                       {"post": "yes"}).status_code == 403
    assert Issue.objects.filter(pk=issue.pk).exists()
    client.force_login(cswb_admin)
    assert client.get(reverse("admin:issues_issue_delete", args=[issue.pk])).status_code == 200


def test_triage_assigns_notes_and_responds_from_the_issue_page(
    client, triage_user, django_capture_on_commit_callbacks
):
    issue = IssueFactory(named=True)
    client.force_login(triage_user)
    response = client.post(_change_url(issue), _triage_form(
        issue, assigned_to=str(triage_user.pk), internal_note="Spoke to the shelter.",
    ))
    assert response.status_code == 302
    page = client.get(_act_url(issue, "respond")).content.decode()
    assert f"The resident (only when they gave an address and agreed): {issue.email}" in " ".join(
        page.split())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_act_url(issue, "respond"),
                               {"response": "A worker will call you this week."})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Issue.State.RESPONDED
    assert issue.assigned_to == triage_user
    kinds = list(issue.events.values_list("kind", "actor__username", "public"))
    assert (IssueEvent.Kind.ASSIGNED, "tess-triage", False) in kinds
    assert (IssueEvent.Kind.NOTE, "tess-triage", False) in kinds
    assert (IssueEvent.Kind.RESPONSE, "tess-triage", True) in kinds
    assert (IssueEvent.Kind.TRANSITION, "tess-triage", False) in kinds
    assert [m.to for m in mail.outbox] == [[issue.email]]


def test_each_transition_form_explains_what_it_needs(client, triage_user):
    issue = IssueFactory()
    client.force_login(triage_user)
    response = client.post(_act_url(issue, "respond"), {"response": ""})
    assert response.status_code == 200
    assert b"Write the response to the resident." in response.content
    response = client.post(_act_url(issue, "refer"), {"action_table": ""})
    assert b"Choose the action table to refer the issue to." in response.content
    assert Issue.objects.get(pk=issue.pk).status == Issue.State.NEW


def test_the_issue_page_offers_only_allowed_transitions(client, triage_user, cswb_admin):
    issue = IssueFactory(status=Issue.State.CLOSED, closed_at=timezone.now())
    client.force_login(triage_user)
    actions = client.get(_change_url(issue)).context["workflow_actions"]
    assert [action["name"] for action in actions] == []
    assert client.post(_act_url(issue, "reopen")).status_code == 403
    client.force_login(cswb_admin)
    actions = client.get(_change_url(issue)).context["workflow_actions"]
    assert [action["name"] for action in actions] == ["reopen"]


def test_the_change_form_shows_the_description_as_text(client, triage_user):
    issue = IssueFactory(description="<script>alert('x')</script>")
    client.force_login(triage_user)
    html = client.get(_change_url(issue)).content.decode()
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;" in html


def test_triage_refers_an_issue(client, triage_user, homelessness_table,
                                django_capture_on_commit_callbacks):
    issue = IssueFactory()
    client.force_login(triage_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_act_url(issue, "refer"), {"action_table": str(homelessness_table.pk)})
    issue.refresh_from_db()
    assert issue.status == Issue.State.REFERRED and issue.action_table == homelessness_table
    assert [m.to for m in mail.outbox] == [["homelessness-table@halton.example"]]


def test_bulk_assignment_and_spam(client, triage_user, cswb_admin):
    first, second = IssueFactory(), IssueFactory()
    client.force_login(triage_user)
    ids = [first.pk, second.pk]
    client.post(CHANGELIST, {"action": "assign_to_me", "_selected_action": ids})
    assert set(Issue.objects.values_list("assigned_to", flat=True)) == {triage_user.pk}
    response = client.post(CHANGELIST, {
        "action": "assign_to_chosen", "_selected_action": ids, "assignee": str(cswb_admin.pk)
    }, follow=True)
    assert b"2 issues assigned to alice-admin." in response.content
    assert set(Issue.objects.values_list("assigned_to", flat=True)) == {cswb_admin.pk}
    response = client.post(CHANGELIST, {"action": "mark_spam", "_selected_action": ids},
                           follow=True)
    assert b"2 issues marked as spam." in response.content
    assert set(Issue.objects.values_list("status", flat=True)) == {Issue.State.SPAM}
    spam_events = IssueEvent.objects.filter(kind=IssueEvent.Kind.TRANSITION, actor=triage_user)
    assert spam_events.count() == 2


def test_the_queue_filters_and_flags_overdue_issues(client, triage_user):
    old = IssueFactory(submitted_at=timezone.now() - timedelta(days=10), topic=Topic.YOUTH)
    IssueFactory(topic=Topic.HOUSING)
    client.force_login(triage_user)
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert "1 open issue has had no response for over five working days." in html
    assert "Overdue: over 5 working days" in html
    response = client.get(CHANGELIST + "?age=overdue")
    assert list(response.context["cl"].result_list) == [old]
    response = client.get(CHANGELIST + "?topic=youth")
    assert list(response.context["cl"].result_list) == [old]
    response = client.get(CHANGELIST + "?assigned=nobody&status=new")
    assert len(response.context["cl"].result_list) == 2
    response = client.get(CHANGELIST + f"?q={old.reference.lower()}")
    assert list(response.context["cl"].result_list) == [old]


def _changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + "?status=new")
    assert response.status_code == 200
    return len(queries)


def test_the_queue_runs_a_fixed_number_of_queries(client, triage_user, homelessness_table):
    client.force_login(triage_user)
    IssueFactory(named=True, assigned_to=triage_user, action_table=homelessness_table)
    few = _changelist_queries(client)
    for i in range(40):
        IssueFactory(
            assigned_to=triage_user if i % 2 else None,
            action_table=homelessness_table if i % 3 else None,
            municipality_id=IssueFactory._meta.declarations["municipality"].function().pk,
        )
    many = _changelist_queries(client)
    assert few == many, (few, many)
    assert many <= 14, many


def test_triage_edits_the_contact_list(client, triage_user, lead_user):
    client.force_login(triage_user)
    response = client.post(reverse("admin:issues_triagecontact_add"), {
        "name": "Youth lead", "email": "youth@halton.example", "topic": "youth", "active": "on"
    })
    assert response.status_code == 302
    assert TriageContact.objects.filter(email="youth@halton.example", topic="youth").exists()
    client.force_login(lead_user)
    assert client.get(reverse("admin:issues_triagecontact_changelist")).status_code == 403


def test_the_statistics_count_and_export(client, triage_user):
    now = timezone.now()
    IssueFactory(topic=Topic.HOUSING, submitted_at=now - timedelta(hours=30),
                 first_response_at=now - timedelta(hours=20))
    IssueFactory(topic=Topic.HOUSING)
    IssueFactory(topic=Topic.YOUTH, status=Issue.State.SPAM)
    client.force_login(triage_user)
    response = client.get(STATISTICS)
    html = response.content.decode()
    assert '<th scope="row">Housing and homelessness</th><td>2</td>' in html
    assert '<th scope="row">Youth</th><td>0</td>' in html
    assert '<th scope="row">Oakville</th><td>2</td>' in html
    assert "<caption>" in html
    export = client.get(STATISTICS + "?format=csv")
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["section", "label", "value"]
    assert ["topic", "Housing and homelessness", "2"] in rows
    assert ["first response", "median hours to first response", "10.0"] in rows
    assert ["first response", "responded within five working days", "1"] in rows


def test_the_statistics_explain_a_bad_date_range(client, triage_user):
    client.force_login(triage_user)
    response = client.get(STATISTICS + "?start=2026-05-01&end=2026-01-01")
    assert b"The start date must come before the end date." in response.content


def test_the_issue_page_shows_the_delivery_state_of_its_emails(
    client, triage_user, django_capture_on_commit_callbacks
):
    from cswb.outbox.models import Message
    from issues import services

    issue = IssueFactory(named=True)
    services.issue_transition(issue=issue, name="respond", by=triage_user, response="Thanks.")
    Message.objects.filter(to_email=issue.email).update(state=Message.State.FAILED)
    client.force_login(triage_user)
    html = client.get(_change_url(issue)).content.decode()
    assert f"Response to the resident</a> → {issue.email}: Failed" in html
    # The list sits under its label's value, not indented past the labels' column again.
    assert 'href="/static/css/issues-admin.css"' in html


def test_the_statistics_count_issues_by_channel(client, triage_user):
    IssueFactory(channel=Issue.Channel.PHONE)
    IssueFactory(channel=Issue.Channel.PHONE)
    IssueFactory(channel=Issue.Channel.OPEN311)
    IssueFactory(channel=Issue.Channel.EMAIL, status=Issue.State.SPAM)
    client.force_login(triage_user)
    html = client.get(STATISTICS).content.decode()
    assert '<th scope="row">Phone call</th><td>2</td>' in html
    assert '<th scope="row">311 system</th><td>1</td>' in html
    assert '<th scope="row">Email</th><td>0</td>' in html
    assert '<th scope="row">Web form</th><td>0</td>' in html
    export = client.get(STATISTICS + "?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert ["channel", "Phone call", "2"] in rows
    assert ["channel", "Walk-in", "0"] in rows


def test_a_bulk_action_names_each_issue_it_could_not_change_as_an_error(client, triage_user):
    new = IssueFactory()
    closed = IssueFactory(status=Issue.State.CLOSED)
    client.force_login(triage_user)
    response = client.post(
        CHANGELIST, {"action": "mark_spam", "_selected_action": [new.pk, closed.pk]}, follow=True
    )
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown[0] == ("success", "1 issue marked as spam.")
    level, text = shown[1]
    assert level == "error" and text.startswith(f"1 issue was not changed: {closed.reference}: ")
    closed.refresh_from_db()
    assert closed.status == Issue.State.CLOSED


def test_a_bulk_action_that_changes_nothing_shows_no_success(client, triage_user):
    closed = IssueFactory(status=Issue.State.CLOSED)
    client.force_login(triage_user)
    response = client.post(
        CHANGELIST, {"action": "mark_spam", "_selected_action": [closed.pk]}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
