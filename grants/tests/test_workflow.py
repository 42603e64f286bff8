import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cswb.outbox.models import Message
from grants import services
from grants.tests.factories import SubmittedApplicationFactory
from grants.workflow import WORKFLOW, State

pytestmark = pytest.mark.django_db


def test_it_lists_every_state_in_the_table():
    named = {s for t in WORKFLOW.transitions for s in (*t.sources, t.target)}
    assert named == set(State)


def test_it_leads_only_to_known_states():
    for transition in WORKFLOW.transitions:
        assert transition.target in State
        assert all(source in State for source in transition.sources)


def test_it_ends_in_closed_declined_or_withdrawn():
    assert WORKFLOW.transitions_from(State.CLOSED) == []
    assert WORKFLOW.transitions_from(State.DECLINED) == []
    assert WORKFLOW.transitions_from(State.WITHDRAWN) == []


def test_it_walks_a_funded_program_to_closed(grant_staff_user):
    path = ["start_screening", "pass_screening", "recommend"]
    application = SubmittedApplicationFactory()
    for name in path:
        application = services.application_transition(
            application=application, name=name, user=grant_staff_user
        )
    assert application.state == State.RECOMMENDED
    events = list(application.events.values_list("transition", "to_state", "actor"))
    assert events == [
        ("start_screening", State.SCREENING, grant_staff_user.pk),
        ("pass_screening", State.IN_REVIEW, grant_staff_user.pk),
        ("recommend", State.RECOMMENDED, grant_staff_user.pk),
    ]


@pytest.mark.parametrize("who", ["reviewer", "outsider", "lead", "triage", "steward"])
def test_it_refuses_a_transition_by_anyone_but_grant_staff(role_users, who):
    application = SubmittedApplicationFactory()
    with pytest.raises(PermissionDenied):
        services.application_transition(
            application=application, name="start_screening", user=role_users[who]
        )
    application.refresh_from_db()
    assert application.state == State.SUBMITTED
    assert not application.events.exists()


def test_it_lets_a_cswb_administrator_act_as_staff(cswb_admin):
    application = services.application_transition(
        application=SubmittedApplicationFactory(), name="start_screening", user=cswb_admin
    )
    assert application.state == State.SCREENING


def test_it_refuses_a_transition_the_state_does_not_allow(grant_staff_user):
    application = SubmittedApplicationFactory()
    with pytest.raises(ValidationError, match="not possible"):
        services.application_transition(
            application=application, name="recommend", user=grant_staff_user
        )


def test_it_refuses_a_staff_transition_by_the_applicant():
    application = SubmittedApplicationFactory()
    with pytest.raises(PermissionDenied):
        services.application_transition(application=application, name="start_screening",
                                        user=None)


def test_it_requires_a_reason_where_the_table_says_so(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.SCREENING)
    assert WORKFLOW.get(State.SCREENING, "screen_out").apply is not None
    with pytest.raises(ValidationError, match="reason"):
        services.application_transition(
            application=application, name="screen_out", user=grant_staff_user, reason="  "
        )


def test_it_screens_out_with_the_reasons_and_tells_the_applicant(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.SCREENING, org_type="other",
                                              age_min=4)
    reasons = services.eligibility_check(application)
    assert len(reasons) == 2
    assert "not eligible" in reasons[0] and "outside 6 to 29" in reasons[1]
    services.application_screen(
        application=application, user=grant_staff_user, eligible=False,
        reason="Only non-profits, charities and Indigenous organizations may apply.",
    )
    application.refresh_from_db()
    assert application.state == State.DECLINED
    event = application.events.get()
    assert event.data["failed_checks"] == reasons
    decision = Message.objects.get(kind="grants.decision")
    assert decision.to_email == application.contact_email
    assert "Only non-profits" in decision.body_text


def test_it_finds_every_eligibility_problem(grant_staff_user):
    application = SubmittedApplicationFactory(
        state=State.SCREENING, amount_requested=300000, duration_years=2,
        municipalities=[], round__allow_two_years=False,
    )
    reasons = " ".join(services.eligibility_check(application))
    assert "no municipality in Halton" in reasons
    assert "over the round's maximum of $250,000.00" in reasons
    assert "does not allow a grant of this duration" in reasons


def test_it_finds_nothing_wrong_with_an_eligible_application():
    assert services.eligibility_check(SubmittedApplicationFactory()) == []


def test_it_names_every_recorded_action_for_people():
    from grants.workflow import action_label

    assert action_label("start_screening") == "Start screening"
    assert action_label("declare_conflict") == "Conflict of interest declared"


def test_it_moves_a_funded_program_to_reporting_then_closed(grant_staff_user):
    application = SubmittedApplicationFactory(state=State.APPROVED)
    for name, target in (("start_reporting", State.REPORTING), ("close", State.CLOSED)):
        application = services.application_transition(
            application=application, name=name, user=grant_staff_user
        )
        assert application.state == target
    assert application.events.count() == 2
