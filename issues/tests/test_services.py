import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cswb.outbox.models import Message
from indicators.models import Geography
from issues import services, workflow
from issues.models import Issue, IssueEvent, Topic, TopicRoute
from issues.tests.factories import IssueFactory, TriageContactFactory, follow_link_in


def _submit(**overrides):
    data = {
        "topic": Topic.HOUSING,
        "municipality": Geography.objects.get(slug="milton"),
        "description": "A family is living in their car behind the arena.",
    }
    data.update(overrides)
    return services.issue_submit(**data)


def _sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


# Submission and routing ------------------------------------------------------------------------


def test_it_numbers_references_per_year(db):
    first, second = _submit(), _submit()
    year = timezone.localdate().year
    assert (first.reference, second.reference) == (f"CSWB-{year}-00001", f"CSWB-{year}-00002")


def test_it_drops_contact_details_of_an_anonymous_submission(db):
    issue = _submit(anonymous=True, name="Sam", email="sam@example.org", phone="905-555-0100")
    assert (issue.name, issue.email, issue.phone) == ("", "", "")


def test_it_routes_a_new_issue_to_triage_and_the_tables_contacts(
    db, homelessness_table, django_capture_on_commit_callbacks
):
    TriageContactFactory(email="all@halton.example")
    TriageContactFactory(email="housing@halton.example", topic=Topic.HOUSING)
    TriageContactFactory(email="youth@halton.example", topic=Topic.YOUTH)
    TriageContactFactory(email="inactive@halton.example", active=False)
    # The same person on the list and as the table's contact hears once.
    TriageContactFactory(email="Homelessness-Table@halton.example", topic=Topic.HOUSING)
    TopicRoute.objects.create(topic=Topic.HOUSING, action_table=homelessness_table)
    with django_capture_on_commit_callbacks(execute=True):
        issue = _submit()
    recipients = sorted(m.to[0].lower() for m in mail.outbox)
    assert recipients == [
        "all@halton.example", "homelessness-table@halton.example", "housing@halton.example"
    ]
    assert all(issue.reference in m.subject for m in mail.outbox)
    assert all(issue.description in m.body for m in mail.outbox)


def test_it_records_the_channel_and_how_consent_was_given(db, triage_user):
    web = _submit(anonymous=False, name="Sam", email="sam@example.org", consent_to_contact=True)
    assert (web.channel, web.consent_method) == ("web", "web_form")
    call = _submit(
        anonymous=False, name="Sam", phone="905-555-0100", consent_to_contact=True,
        channel="phone", recorded_by=triage_user, note="Notice of collection read out.",
    )
    assert (call.channel, call.consent_method) == ("phone", "oral")
    event = call.events.get()
    assert (event.kind, event.actor, event.text) == (
        IssueEvent.Kind.SUBMITTED, triage_user, "Notice of collection read out."
    )
    written = _submit(anonymous=False, name="Sam", email="sam@example.org",
                      consent_to_contact=True, channel="email")
    assert written.consent_method == "written"
    anonymous = _submit(channel="walk_in")
    assert (anonymous.channel, anonymous.consent_method) == ("walk_in", "")


# Workflow --------------------------------------------------------------------------------------


def test_the_workflow_table_is_complete():
    for state in workflow.State:
        for transition in workflow.transitions_from(state):
            assert state in transition.sources
            assert transition.target in workflow.State
    assert {t.name for t in workflow.transitions_from("closed")} == {"reopen"}
    assert workflow.transitions_from("new")[0].name == "start_review"


def test_a_response_is_recorded_and_emailed_to_the_resident(
    db, triage_user, django_capture_on_commit_callbacks
):
    issue = IssueFactory(named=True)
    with django_capture_on_commit_callbacks(execute=True):
        event = services.issue_transition(
            issue=issue, name="respond", by=triage_user, response="We passed this on."
        )
    issue.refresh_from_db()
    assert issue.status == Issue.State.RESPONDED
    assert issue.first_response_at is not None
    assert event.actor == triage_user and event.from_state == "new"
    assert event.to_state == "responded"
    response = issue.events.get(kind=IssueEvent.Kind.RESPONSE)
    assert response.public and response.actor == triage_user
    assert response.text == "We passed this on."
    [sent] = _sent_to(issue.email)
    assert issue.reference in sent.subject
    assert "We passed this on." in sent.body
    assert follow_link_in(sent.body) == issue


def test_closing_emails_the_resident_but_not_an_anonymous_one(
    db, triage_user, django_capture_on_commit_callbacks
):
    named, anonymous = IssueFactory(named=True), IssueFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_transition(issue=named, name="close", by=triage_user)
        services.issue_transition(issue=anonymous, name="close", by=triage_user)
    assert [m.to for m in mail.outbox] == [[named.email]]
    assert "is now closed" in mail.outbox[0].body
    named.refresh_from_db()
    assert named.closed_at is not None


def test_a_resident_without_consent_is_not_emailed(db, triage_user):
    issue = IssueFactory(named=True, consent_to_contact=False)
    services.issue_transition(issue=issue, name="respond", by=triage_user, response="Done.")
    assert not Message.objects.filter(to_email=issue.email).exists()


def test_a_referral_needs_a_table_and_emails_its_contacts(
    db, triage_user, homelessness_table, django_capture_on_commit_callbacks
):
    issue = IssueFactory(named=True)
    with pytest.raises(ValidationError):
        services.issue_transition(issue=issue, name="refer", by=triage_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_transition(
            issue=issue, name="refer", by=triage_user, action_table=homelessness_table
        )
    issue.refresh_from_db()
    assert issue.status == Issue.State.REFERRED
    assert issue.action_table == homelessness_table
    [sent] = _sent_to("homelessness-table@halton.example")
    assert issue.reference in sent.subject
    assert issue.email not in sent.body and issue.name not in sent.body


def test_it_refuses_a_transition_the_state_does_not_allow(db, triage_user):
    issue = IssueFactory(status=Issue.State.CLOSED)
    with pytest.raises(ValidationError):
        services.issue_transition(issue=issue, name="respond", by=triage_user, response="x")


def test_a_response_needs_text(db, triage_user):
    with pytest.raises(ValidationError):
        services.issue_transition(issue=IssueFactory(), name="respond", by=triage_user)


@pytest.mark.parametrize("who", ["lead", "grant_staff", "steward", "outsider"])
def test_other_roles_may_not_move_an_issue(db, role_users, who):
    issue = IssueFactory()
    with pytest.raises(PermissionDenied):
        services.issue_transition(issue=issue, name="start_review", by=role_users[who])
    with pytest.raises(PermissionDenied):
        services.issue_add_note(issue=issue, text="x", by=role_users[who])
    issue.refresh_from_db()
    assert issue.status == Issue.State.NEW


def test_only_an_administrator_reopens_a_closed_issue(db, triage_user, cswb_admin):
    issue = IssueFactory(status=Issue.State.CLOSED, closed_at=timezone.now())
    with pytest.raises(PermissionDenied):
        services.issue_transition(issue=issue, name="reopen", by=triage_user)
    services.issue_transition(issue=issue, name="reopen", by=cswb_admin)
    issue.refresh_from_db()
    assert issue.status == Issue.State.IN_REVIEW and issue.closed_at is None


def test_assignment_records_who_and_when(db, triage_user, cswb_admin, lead_user):
    issue = IssueFactory()
    assert services.issue_assign(issue=issue, assignee=triage_user, by=cswb_admin)
    assert not services.issue_assign(issue=issue, assignee=triage_user, by=cswb_admin)
    with pytest.raises(ValidationError):
        services.issue_assign(issue=issue, assignee=lead_user, by=cswb_admin)
    event = issue.events.get(kind=IssueEvent.Kind.ASSIGNED)
    assert event.actor == cswb_admin and event.text == triage_user.username
    assert Issue.objects.get(pk=issue.pk).assigned_to == triage_user


def test_bulk_spam_skips_issues_that_cannot_become_spam(db, triage_user):
    new, closed = IssueFactory(), IssueFactory(status=Issue.State.CLOSED)
    assert services.issues_mark_spam(issues=[new, closed], by=triage_user) == (1, 1)
    assert Issue.objects.get(pk=new.pk).status == Issue.State.SPAM
    assert Issue.objects.get(pk=closed.pk).status == Issue.State.CLOSED


# Overdue ---------------------------------------------------------------------------------------


def test_an_issue_is_overdue_after_five_working_days_without_response(db):
    # Monday 9:00: five working days back is the previous Monday 9:00.
    monday = timezone.make_aware(timezone.datetime(2026, 11, 16, 9, 0))
    on_time = IssueFactory(submitted_at=monday - timedelta(days=6))  # Tuesday before
    late = IssueFactory(submitted_at=monday - timedelta(days=7, minutes=1))
    answered = IssueFactory(
        submitted_at=monday - timedelta(days=20), first_response_at=monday - timedelta(days=19)
    )
    closed = IssueFactory(submitted_at=monday - timedelta(days=20), status=Issue.State.CLOSED)
    assert list(Issue.objects.overdue(monday)) == [late]
    assert late.is_overdue(monday) and not on_time.is_overdue(monday)
    assert not answered.is_overdue(monday) and not closed.is_overdue(monday)


@pytest.mark.parametrize(
    ("now", "five_working_days_before"),
    [
        # Good Friday (3 April 2026) is not a working day.
        ((2026, 4, 10, 10, 0), (2026, 4, 2, 10, 0)),
        # Christmas on a Friday, Boxing Day on a Saturday: Monday 28 December 2026 is its day off.
        ((2027, 1, 4, 9, 0), (2026, 12, 23, 9, 0)),
        # Family Day, the third Monday of February.
        ((2026, 2, 20, 12, 0), (2026, 2, 12, 12, 0)),
        # An ordinary week.
        ((2026, 11, 20, 9, 0), (2026, 11, 13, 9, 0)),
    ],
)
def test_working_days_leave_out_ontario_statutory_holidays(now, five_working_days_before):
    from issues.models import business_days_before

    moment = timezone.make_aware(timezone.datetime(*now))
    expected = timezone.make_aware(timezone.datetime(*five_working_days_before))
    assert business_days_before(moment, 5) == expected


# Retention -------------------------------------------------------------------------------------


def test_it_removes_contact_details_after_the_retention_period(
    db, triage_user, settings, django_capture_on_commit_callbacks
):
    settings.ISSUES_CONTACT_RETENTION_MONTHS = 24
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        old = _submit(anonymous=False, name="Old", email="old@example.org",
                      consent_to_contact=True)
    recent = IssueFactory(named=True, status=Issue.State.CLOSED,
                          closed_at=now - timedelta(days=300))
    still_open = IssueFactory(named=True, submitted_at=now - timedelta(days=1000))
    Issue.objects.filter(pk=old.pk).update(
        status=Issue.State.CLOSED, closed_at=now - timedelta(days=731)
    )
    assert Message.objects.filter(to_email="old@example.org").count() == 1
    assert services.issues_remove_expired_contacts(now=now) == 1
    old.refresh_from_db()
    assert (old.name, old.email, old.phone) == ("", "", "")
    assert old.contact_removed_at == now
    assert old.description and old.topic and old.municipality_id  # the record stays
    assert old.events.filter(kind=IssueEvent.Kind.CONTACT_REMOVED).exists()
    assert not Message.objects.filter(to_email="old@example.org").exists()
    assert Issue.objects.get(pk=recent.pk).email
    assert Issue.objects.get(pk=still_open.pk).email
    # Running again changes nothing.
    assert services.issues_remove_expired_contacts(now=now) == 0


def test_the_retention_period_is_configurable(db, settings):
    settings.ISSUES_CONTACT_RETENTION_MONTHS = 6
    issue = IssueFactory(named=True, status=Issue.State.SPAM,
                         closed_at=timezone.now() - timedelta(days=200))
    assert services.issues_remove_expired_contacts() == 1
    assert Issue.objects.get(pk=issue.pk).email == ""


def test_the_audit_log_keeps_no_contact_details(db):
    from auditlog.models import LogEntry

    issue = _submit(anonymous=False, name="Audit Person", email="audit@example.org",
                    consent_to_contact=True)
    Issue.objects.get(pk=issue.pk).save()
    for entry in LogEntry.objects.get_for_object(issue):
        assert "audit@example.org" not in str(entry.changes)
        assert "Audit Person" not in str(entry.changes)


# Concurrency -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_consecutive_references():
    if connection.vendor != "postgresql":
        # The in-memory SQLite test database locks whole tables and fails instead of waiting.
        pytest.skip("Runs on PostgreSQL (the suite's second run).")
    from indicators.reference import load_geographies

    load_geographies()
    errors = []
    barrier = threading.Barrier(8)

    def submit():
        try:
            barrier.wait()
            _submit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Issue.objects.values_list("number", flat=True)) == list(range(1, 9))


def test_a_routed_tables_contacts_who_may_not_read_issues_get_only_the_reference_and_topic(
    db, homelessness_table, django_capture_on_commit_callbacks
):
    TopicRoute.objects.create(topic=Topic.HOUSING, action_table=homelessness_table)
    with django_capture_on_commit_callbacks(execute=True):
        issue = _submit(affected="Families on Elm Street")
    (message,) = mail.outbox
    assert message.to == ["homelessness-table@halton.example"]
    assert issue.reference in message.subject and "Housing" in message.subject
    body = message.body + message.alternatives[0][0]
    assert issue.description not in body and "Elm Street" not in body
    assert f"/admin/issues/issue/{issue.pk}/change/" in message.body
