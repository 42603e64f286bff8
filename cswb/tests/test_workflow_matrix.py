"""Every transition of every workflow, from every state it leaves, tried by every role.

Walks the tables themselves (``issues.workflow.WORKFLOW``, ``grants.workflow.WORKFLOW``), so a
transition added later is covered without a new test: the allowed roles move the object, record
one event and queue the table's emails; every other role (and the private-link holder, where the
table does not name them) is refused with nothing written.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cswb.accounts.roles import Role
from cswb.lib.workflow import LINK_HOLDER
from cswb.outbox.models import Message

ROLE_OF = {
    "admin": Role.ADMINISTRATOR,
    "lead": Role.ACTION_TABLE_LEAD,
    "steward": Role.DATA_STEWARD,
    "grant_staff": Role.GRANT_STAFF,
    "reviewer": Role.GRANT_REVIEWER,
    "triage": Role.ISSUE_TRIAGE,
    "outsider": None,
}
WHO = [*ROLE_OF, "link holder"]


def _expected(transition, who) -> bool:
    if who == "link holder":
        return LINK_HOLDER in transition.roles
    if who == "admin":
        return any(role != LINK_HOLDER for role in transition.roles)
    return ROLE_OF[who] in transition.roles


def _cases(workflow):
    return [(t, source) for t in workflow.transitions for source in t.sources]


def _walk(workflow, make, inputs_for, role_users):
    """Try every transition from every source state as everyone; return what was checked."""
    tried = 0
    for transition, source in _cases(workflow):
        for who in WHO:
            obj = make(source)
            user = None if who == "link holder" else role_users[who]
            events_before = obj.events.count()
            mail_before = Message.objects.count()
            label = f"{transition.name} from {source} by {who}"
            if _expected(transition, who):
                event = workflow.perform(obj, transition.name, by=user,
                                         inputs=inputs_for(transition, obj))
                obj.refresh_from_db()
                assert workflow.state_of(obj) == transition.target, label
                assert (event.from_state, event.to_state, event.transition) == (
                    source, transition.target, transition.name), label
                assert event.actor == user, label
                if transition.notifies:
                    assert Message.objects.count() > mail_before, label
            else:
                with pytest.raises(PermissionDenied):
                    workflow.perform(obj, transition.name, by=user,
                                     inputs=inputs_for(transition, obj))
                obj.refresh_from_db()
                assert workflow.state_of(obj) == source, label
                assert obj.events.count() == events_before, label
                assert Message.objects.count() == mail_before, label
            tried += 1
    return tried


# Residents' issues -------------------------------------------------------------------------------


@pytest.fixture
def issue_parts(db, role_users):
    from actiontables.tests.factories import ActionTableFactory
    from indicators.reference import load_geographies
    from issues.tests.factories import IssueFactory
    from issues.workflow import FINAL_STATES

    load_geographies()
    table = ActionTableFactory(status="active", contact_email="table@halton.example")

    def make(state):
        closed = datetime.datetime.now(datetime.UTC) if state in FINAL_STATES else None
        return IssueFactory(named=True, status=state, closed_at=closed)

    def inputs_for(transition, issue):
        return {"response": "We spoke with the shelter.", "action_table": table}

    return make, inputs_for, table


def test_every_issue_transition_for_every_role(role_users, issue_parts):
    from issues.workflow import WORKFLOW

    make, inputs_for, _table = issue_parts
    tried = _walk(WORKFLOW, make, inputs_for, role_users)
    assert tried == len(_cases(WORKFLOW)) * len(WHO)


def test_every_issue_transition_runs_from_its_admin_page(client, role_users, issue_parts):
    from issues.workflow import WORKFLOW

    make, _inputs, table = issue_parts
    for transition, source in _cases(WORKFLOW):
        issue = make(source)
        url = reverse("admin:issues_issue_transition", args=[issue.pk, transition.name])
        client.force_login(role_users["lead"])
        assert client.get(url).status_code in (403, 404)
        who = "triage" if Role.ISSUE_TRIAGE in transition.roles else "admin"
        client.force_login(role_users[who])
        page = client.get(url)
        assert page.status_code == 200, (transition.name, source)
        assert "Who will be emailed" in page.content.decode()
        response = client.post(url, {"response": "We called the shelter.",
                                     "action_table": str(table.pk)})
        assert response.status_code == 302, (transition.name, source, response.content[:2000])
        issue.refresh_from_db()
        assert issue.status == transition.target, (transition.name, source)


def test_a_failed_transition_shows_the_form_again_with_what_was_typed(client, triage_user,
                                                                     issue_parts):
    from actiontables.tests.factories import ActionTableFactory

    make, _inputs, _table = issue_parts
    silent = ActionTableFactory(status="active", contact_email="")
    issue = make("new")
    client.force_login(triage_user)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "refer"])
    page = client.get(url).content.decode()
    assert f"{silent.name} (no contact yet: cannot receive referrals)" in page
    response = client.post(url, {"action_table": str(silent.pk)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "has no contact yet, so nobody would hear of the referral" in html
    assert f'<option value="{silent.pk}" selected>' in html
    assert "Done:" not in html
    issue.refresh_from_db()
    assert issue.status == "new" and not Message.objects.exists()


def test_a_sunset_table_is_not_offered_for_referral(client, triage_user, issue_parts):
    from actiontables.tests.factories import ActionTableFactory

    make, _inputs, table = issue_parts
    sunset = ActionTableFactory(status="sunset", sunset_on=datetime.date(2025, 1, 1),
                                contact_email="old@halton.example")
    client.force_login(triage_user)
    url = reverse("admin:issues_issue_transition", args=[make("new").pk, "refer"])
    page = client.get(url).content.decode()
    assert table.name in page and sunset.name not in page


def test_a_transition_the_state_left_behind_says_so_and_changes_nothing(client, triage_user,
                                                                       issue_parts):
    make, _inputs, _table = issue_parts
    issue = make("closed")
    client.force_login(triage_user)
    url = reverse("admin:issues_issue_transition", args=[issue.pk, "respond"])
    response = client.post(url, {"response": "Hello"}, follow=True)
    assert "not possible in the current state" in response.content.decode()
    assert "Done:" not in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == "closed"


# Grant applications ------------------------------------------------------------------------------


@pytest.fixture
def grant_parts(db):
    from grants.tests.factories import SubmittedApplicationFactory
    from indicators.reference import load_geographies

    load_geographies()

    def make(state):
        return SubmittedApplicationFactory(state=state)

    def inputs_for(transition, application):
        return {
            "reason": "Recorded by the matrix test.",
            "amount": Decimal("1000"),
            "years": 2,
            "interim_due": datetime.date(2027, 9, 1),
            "final_due": datetime.date(2029, 5, 30),
        }

    return make, inputs_for


def test_every_grant_transition_for_every_role(role_users, grant_parts):
    from grants.workflow import WORKFLOW

    make, inputs_for = grant_parts
    tried = _walk(WORKFLOW, make, inputs_for, role_users)
    assert tried == len(_cases(WORKFLOW)) * len(WHO)


def test_every_staff_grant_transition_runs_from_its_admin_page(client, role_users, grant_parts):
    from grants.workflow import WORKFLOW

    make, _inputs = grant_parts
    staff_cases = [(t, s) for t, s in _cases(WORKFLOW) if Role.GRANT_STAFF in t.roles]
    for transition, source in staff_cases:
        application = make(source)
        url = reverse("admin:grants_application_transition", args=[application.pk, transition.name])
        client.force_login(role_users["triage"])
        assert client.get(url).status_code in (403, 404)
        client.force_login(role_users["grant_staff"])
        page = client.get(url)
        assert page.status_code == 200, (transition.name, source)
        if transition.notifies:
            assert application.contact_email in page.content.decode(), transition.name
        response = client.post(url, {"reason": "Recorded in the admin.", "amount": "1000",
                                     "years": "2", "interim_due": "2027-09-01",
                                     "final_due": "2029-05-30"})
        assert response.status_code == 302, (transition.name, source, response.content[:3000])
        application.refresh_from_db()
        assert application.state == transition.target, (transition.name, source)
