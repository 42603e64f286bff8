"""Every admin page and staff-only view, for every role: allowed or denied as intended.

A model registered in the admin without a row in EXPECTED fails this test, so nobody can add a
model without deciding who may reach it. Letters: v changelist, c save on the change page,
a add, d delete, i import, e export. Object rules (a lead's own tables, a reviewer's assigned
applications) are tested in each app; here the lead leads the table and the reviewer is assigned.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_otp.plugins.otp_totp.models import TOTPDevice

from actiontables.tests.factories import (
    ActionTableFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
    SubscriptionFactory,
)
from cswb.accounts.services import recovery_codes_issue
from cswb.outbox.services import message_queue
from cswb.tests.role_matrix import ROLES, observe
from grants.models import Review
from grants.tests.factories import ReportFactory, ReviewFactory
from issues.tests.factories import IssueFactory
from open311.services import key_create
from plan.models import PlanVersion, ProgressReport, Reminder

ADMIN_ONLY = {"admin": "vcad"}
EXPECTED = {
    "accounts.user": ADMIN_ONLY,
    # Who was sent an enrolment link and when; the links themselves are never kept.
    "accounts.enrolment": {"admin": "v"},
    # Roles are set by the code: administrators read them and give them on the user page.
    "accounts.staffrole": {"admin": "v"},
    # The first table is not the lead's own: they may list tables but not save this one.
    "actiontables.actiontable": {"admin": "vcadie", "lead": "v", "triage": "v"},
    "actiontables.leadershipseat": ADMIN_ONLY,
    "actiontables.organization": {"admin": "vcadie"},
    "actiontables.progressupdate": {"admin": "vcad", "lead": "vca"},
    "actiontables.subscription": {"admin": "vcd"},
    "auditlog.logentry": {"admin": "v"},
    "axes.accessattempt": {"admin": "v"},
    "axes.accessfailurelog": {"admin": "v"},
    "axes.accesslog": {"admin": "v"},
    # No clocked, crontab or solar schedule exists yet: only the list and the add page apply.
    "django_celery_beat.clockedschedule": {"admin": "va"},
    "django_celery_beat.crontabschedule": {"admin": "va"},
    "django_celery_beat.intervalschedule": ADMIN_ONLY,
    "django_celery_beat.periodictask": ADMIN_ONLY,
    "django_celery_beat.solarschedule": {"admin": "va"},
    # Applications move only through the workflow's actions, never by editing the row.
    "grants.application": {"admin": "vd", "grant_staff": "v", "reviewer": "v"},
    "grants.award": {"admin": "vd", "grant_staff": "v"},
    "grants.fund": {"admin": "vcad", "grant_staff": "vca"},
    "grants.report": {"admin": "vcd", "grant_staff": "vc"},
    # Reviewers declare conflicts and score on the review page's own forms.
    "grants.review": {"admin": "vd", "grant_staff": "v", "reviewer": "v"},
    "grants.round": {"admin": "vcad", "grant_staff": "vca"},
    "indicators.domain": {"admin": "vcad", "steward": "vcad"},
    "indicators.geography": {"admin": "vc", "steward": "vc"},
    "indicators.indicator": {"admin": "vcadie", "steward": "vcadie"},
    "indicators.indicatorsummary": {"admin": "v", "steward": "v"},
    "indicators.observation": {"admin": "vcadie", "steward": "vcadie"},
    "indicators.remotesource": {"admin": "vcad", "steward": "vcad"},
    "issues.issue": {"admin": "vcd", "triage": "vc"},
    "issues.signpost": {"admin": "vcad", "triage": "vcad"},
    "issues.topicroute": {"admin": "vcad", "triage": "vcad"},
    "issues.triagecontact": {"admin": "vcad", "triage": "vcad"},
    # Keys are never deleted (the audit log names them); triage sees which systems are connected.
    "open311.apikey": {"admin": "vca", "triage": "v"},
    # Second factors are added only by their owner on an enrolment link; administrators may
    # remove a lost one, and never see a secret.
    "otp_static.staticdevice": {"admin": "vd"},
    "otp_totp.totpdevice": {"admin": "vd"},
    # Fields are read-only; "change" is the right to send a message again. The message here is
    # an issues email: grant staff list their own area's mail but cannot open it (see
    # OUTBOX_BY_KIND below).
    "outbox.message": {"admin": "vc", "triage": "vc", "grant_staff": "v"},
    # The plan is kept by administrators; data stewards keep outcomes' indicators and figures.
    "plan.committeeseat": ADMIN_ONLY,
    "plan.consultation": ADMIN_ONLY,
    "plan.outcome": {"admin": "vcad", "steward": "vc"},
    "plan.planversion": ADMIN_ONLY,
    "plan.progressreport": ADMIN_ONLY,  # a draft: a published report cannot be deleted
    "plan.reminder": {"admin": "v"},  # written by the daily task only
    "plan.riskfactor": ADMIN_ONLY,
    "plan.strategy": ADMIN_ONLY,
}
# Staff pages outside the model admins: URL name and the roles that may open them.
STAFF_VIEWS = {
    "admin:index": {"admin", "lead", "steward", "grant_staff", "reviewer", "triage", "outsider"},
    "admin:issues_issue_statistics": {"admin", "triage"},
    "admin:issues_issue_intake": {"admin", "triage"},
}


@pytest.fixture
def plan_data(role_users):
    """One row of every model, with the lead leading a table and the reviewer assigned."""
    call_command("load_reference_data", verbosity=0)
    organization = OrganizationFactory()
    organization.staff_contacts.add(role_users["lead"])
    table = ActionTableFactory(leads=[organization])
    ProgressUpdateFactory(table=table)
    SubscriptionFactory(table=table)
    ReviewFactory(reviewer=role_users["reviewer"], conflict=Review.Conflict.NONE)
    ReportFactory()
    IssueFactory(named=True)
    key_create(name="Halton 311 CRM")
    message_queue(to="someone@example.org", template="test-message", context={"name": "A"},
                  kind="issues.acknowledgement")
    TOTPDevice.objects.create(user=role_users["admin"], name="phone")
    recovery_codes_issue(user=role_users["admin"])
    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.create(name="x", task="cswb.outbox.tasks.requeue_stale",
                                interval=every_hour)
    plan = PlanVersion.objects.get()  # Halton's 2017 plan, from the reference data
    ProgressReport.objects.create(plan=plan, year=2023, introduction="A year of work.")
    Reminder.objects.create(plan=plan, kind=Reminder.Kind.REVIEW, deadline=plan.review_due_on,
                            send_on=plan.review_due_on, lead="3 months before")


def test_every_admin_page_answers_each_role_as_intended(client, role_users, plan_data):
    observed = observe(client, role_users)
    expected = {
        label: {role: rights.get(role, "") for role in ROLES} for label, rights in EXPECTED.items()
    }
    missing = sorted(observed.keys() - expected.keys())
    assert not missing, f"Decide who may reach these models and add them to EXPECTED: {missing}"
    differences = [
        f"{label} {role}: expected {expected[label][role]!r}, observed {observed[label][role]!r}"
        for label in sorted(observed)
        for role in ROLES
        if observed[label][role] != expected[label][role]
    ]
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize("name", sorted(STAFF_VIEWS))
def test_every_staff_view_answers_each_role_as_intended(client, role_users, name):
    url = reverse(name)
    for role in ROLES:
        client.force_login(role_users[role])
        status = client.get(url).status_code
        allowed = role in STAFF_VIEWS[name]
        assert (status == 200) == allowed, (role, url, status)
        client.logout()


def test_anonymous_visitors_reach_no_staff_page(client, plan_data):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    response = client.get(reverse("admin:issues_issue_changelist"))
    assert response.status_code == 302


# Outgoing mail, by kind: the roles that may list and open a message of that kind. Each role
# reads the mail of its own area; private links inside any message are shown to nobody.
OUTBOX_BY_KIND = {
    "issues.acknowledgement": {"admin", "triage"},
    "issues.new_issue": {"admin", "triage"},
    "issues.routed": {"admin", "triage"},
    "grants.draft_link": {"admin", "grant_staff"},
    "grants.acknowledgement": {"admin", "grant_staff"},
    "grants.reviewer_assigned": {"admin", "grant_staff"},
    "actiontables.confirm": {"admin"},
    "actiontables.update": {"admin"},
    "accounts.enrolment": {"admin"},
    "test": {"admin"},
}
PRIVATE_PATHS = {
    "issues": "/issues/follow/{token}/",
    "grants": "/grants/apply/continue/{token}/",
    "actiontables": "/action-tables/unsubscribe/{token}/",
    "accounts": "/staff/enrol/{token}/",
    "test": "/grants/applications/{token}/withdraw/",
}


def test_each_role_reads_only_the_outgoing_mail_of_its_own_area(client, role_users, settings):
    from cswb.outbox.models import Message

    messages = {}
    for number, kind in enumerate(OUTBOX_BY_KIND):
        token = f"SECRET{number}x.eJwrSS0uMTY0MTAwNTW3:1vQ2p5:abcdefghijk"
        link = settings.SITE_URL + PRIVATE_PATHS[kind.split(".")[0]].format(token=token)
        messages[kind] = (Message.objects.create(
            kind=kind, to_email=f"{kind}@example.org", subject=kind,
            body_text=f"Your link: {link}\n", body_html=f'<a href="{link}">link</a>',
            headers={"List-Unsubscribe": f"<{link}>"},
        ), token)
    differences = []
    for role in ROLES:
        client.force_login(role_users[role])
        listing = client.get(reverse("admin:outbox_message_changelist"))
        listed = listing.content.decode() if listing.status_code == 200 else ""
        for kind, (message, token) in messages.items():
            allowed = role in OUTBOX_BY_KIND[kind]
            page = client.get(reverse("admin:outbox_message_change", args=[message.pk]))
            opened = page.status_code == 200
            if opened != allowed or (message.to_email in listed) != allowed:
                differences.append(f"{role} {kind}: expected {allowed}, opened {opened}")
            if opened and token in page.content.decode():
                differences.append(f"{role} {kind}: the private link is readable")
        client.logout()
    assert not differences, "\n".join(differences)


# Who hears about a resident's new issue, by role, when every role's user is a staff contact of
# the action table its topic routes to: the kind of email, and whether it carries what the
# resident wrote (only roles that may open issues get it).
ISSUE_NOTIFICATIONS = {
    "admin": ("issues.new_issue", True),
    "triage": ("issues.new_issue", True),
    "lead": ("issues.routed", False),
    "steward": ("issues.routed", False),
    "grant_staff": ("issues.routed", False),
    "reviewer": ("issues.routed", False),
    "outsider": ("issues.routed", False),
}


def test_issue_notifications_carry_what_each_role_may_read(role_users):
    from cswb.outbox.models import Message
    from indicators.reference import load_geographies
    from issues import services as issue_services
    from issues.models import TopicRoute
    from issues.tests.factories import municipality

    load_geographies()
    organization = OrganizationFactory()
    organization.staff_contacts.add(*role_users.values())
    table = ActionTableFactory(leads=[organization], contact_email="table@example.org")
    TopicRoute.objects.create(topic="housing", action_table=table)
    issue = issue_services.issue_submit(
        topic="housing", municipality=municipality(), description="SECRET-DESCRIPTION",
        affected="SECRET-AFFECTED",
    )
    sent = {m.to_email: m for m in Message.objects.all()}
    observed = {}
    for role, user in role_users.items():
        message = sent.get(user.email)
        observed[role] = message and (
            message.kind,
            "SECRET-DESCRIPTION" in message.body_text + message.body_html
            or "SECRET-AFFECTED" in message.body_text + message.body_html,
        )
        assert message is None or issue.reference in message.body_text
    assert observed == ISSUE_NOTIFICATIONS
    table_mail = sent["table@example.org"]
    assert table_mail.kind == "issues.routed"
    assert "SECRET" not in table_mail.body_text + table_mail.body_html
