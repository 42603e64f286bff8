"""The first page after sign-in shows each role the work waiting for them."""

import pytest
from django.urls import reverse

from cswb.tests.home_data import make_waiting_work

HOME = reverse("admin:index")


@pytest.fixture
def waiting(role_users):
    return make_waiting_work(role_users)


@pytest.mark.parametrize("who", ["triage", "grant_staff", "reviewer", "lead", "steward", "admin"])
def test_it_shows_each_role_its_waiting_work(client, role_users, waiting, who):
    client.force_login(role_users[who])
    html = " ".join(client.get(HOME).content.decode().split())
    missing = [text for text in waiting[who] if text not in html]
    assert not missing, (who, missing)


def test_it_shows_a_role_nothing_of_other_roles_work(client, role_users, waiting):
    client.force_login(role_users["reviewer"])
    html = client.get(HOME).content.decode()
    assert waiting["triage"][0] not in html and "Decide Me Arts" not in html
    client.force_login(role_users["outsider"])
    html = client.get(HOME).content.decode()
    assert "You hold no role yet" in html and waiting["triage"][0] not in html


def test_only_administrators_see_the_system_section(client, role_users):
    client.force_login(role_users["admin"])
    html = client.get(HOME).content.decode()
    assert "app-system" in html and "Access attempts" in html and "Periodic tasks" in html
    assert "app-axes" not in html and "app-otp_totp" not in html
    assert html.index("app-issues") < html.index("app-system")
    client.force_login(role_users["triage"])
    html = client.get(HOME).content.decode()
    assert "Periodic tasks" not in html and "app-system" not in html


def test_the_home_says_what_each_role_may_do(client, role_users):
    client.force_login(role_users["reviewer"])
    html = client.get(HOME).content.decode()
    assert "Grant reviewer" in html and "scores the grant applications assigned to them" in html


def test_the_homes_show_failed_mail_by_the_outgoing_mail_rule(client, role_users):
    from cswb.outbox.models import Message
    from cswb.outbox.services import message_queue

    kinds = [("issues.responded", "Issue Mail"), ("grants.decision", "Grant Mail"),
             ("actiontables.confirm", "Follower Mail")]
    for kind, subject_name in kinds:
        message = message_queue(to="nobody@example.org", template="test-message",
                                context={"name": subject_name}, kind=kind)
        Message.objects.filter(pk=message.pk).update(state=Message.State.FAILED,
                                                     subject=subject_name)
    seen = {}
    for who in ["triage", "grant_staff", "lead", "admin"]:
        client.force_login(role_users[who])
        html = client.get(HOME).content.decode()
        seen[who] = {name for name in ["Issue Mail", "Grant Mail", "Follower Mail"] if name in html}
    assert seen == {
        "triage": {"Issue Mail"},
        "grant_staff": {"Grant Mail"},
        # Followers' addresses are for administrators only, on the list and on the homes alike.
        "lead": set(),
        "admin": set(),  # the administrator's home shows the count in summary, not each message
    }


def test_it_tells_a_lead_linked_to_no_organization_why_no_table_shows(client, lead_user):
    client.force_login(lead_user)
    html = " ".join(client.get(HOME).content.decode().split())
    assert "You lead no action table yet: an administrator links you to your organization." in html
    assert "Nothing is waiting for your roles." not in html


def test_it_names_a_superusers_roles_instead_of_saying_they_hold_none(client, make_staff):
    client.force_login(make_staff("root", is_superuser=True))
    html = " ".join(client.get(HOME).content.decode().split())
    assert "You hold no role yet" not in html
    assert "Your roles: <strong>CSWB administrator</strong>" in html


def test_the_administrators_home_names_who_is_locked_out_of_sign_in_now(client, role_users):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    now = timezone.now()
    for username, failures, ago in [("locked@example.org", 5, 1), ("typo@example.org", 2, 1),
                                    ("cooled@example.org", 9, 60 * 24)]:
        attempt = AccessAttempt.objects.create(username=username, ip_address="10.0.0.1",
                                               user_agent="x", failures_since_start=failures)
        # attempt_time is set on create; the cool-off counts from it.
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=now - timedelta(minutes=ago))
    # A name guessed from many addresses, under the per-address limit each time.
    for n in range(5):
        AccessAttempt.objects.create(username="guessed@example.org", ip_address=f"10.0.1.{n}",
                                     user_agent="x", failures_since_start=4)
    client.force_login(role_users["admin"])
    html = " ".join(client.get(HOME).content.decode().split())
    # locked@ (the pair's limit) and guessed@ (the name's limit over many addresses); not typo@
    # (under the limit) nor cooled@ (its cool-off is over).
    assert ('<a href="/admin/axes/accessattempt/"><span class="home-number">2</span> '
            '<span class="home-label">Names locked out of sign-in now</span>') in html
    client.force_login(role_users["triage"])
    assert "Names locked out" not in client.get(HOME).content.decode()
