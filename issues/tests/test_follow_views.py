import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse

from cswb.lib import links
from cswb.outbox.models import Message
from issues import services, views
from issues.models import FOLLOW_LINK_PURPOSE, Issue
from issues.tests.factories import IssueFactory, follow_link_in


@pytest.fixture
def issue(db):
    return IssueFactory(named=True)


def test_the_confirmation_shows_the_reference_and_the_private_link(client, issue):
    response = client.get(reverse("issues:submitted", args=[issue.follow_token()]))
    html = response.content.decode()
    assert response.status_code == 200
    assert issue.reference in html
    assert "http://testserver/issues/follow/" in html
    assert "We are sending a confirmation with this link to the email address you gave" in html
    # The page is reached by the same secret as the follow page: no contact details on it.
    assert issue.email not in html and issue.name not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]


def test_the_follow_page_shows_status_and_public_responses_only(client, issue, triage_user):
    services.issue_add_note(issue=issue, text="Internal: caller sounded upset", by=triage_user)
    services.issue_transition(
        issue=issue, name="respond", by=triage_user,
        response="Outreach workers will visit the park this week.",
    )
    response = client.get(issue.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Issue {issue.reference}" in html
    assert "Responded" in html
    assert "Outreach workers will visit the park this week." in html
    assert "Internal: caller sounded upset" not in html
    assert issue.description not in html
    assert issue.email not in html and issue.phone not in html
    assert triage_user.username not in html


def test_the_follow_page_shows_spam_as_closed(client, issue, triage_user):
    services.issue_transition(issue=issue, name="mark_spam", by=triage_user)
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "Closed" in html
    assert "Spam" not in html and "spam" not in html


def test_the_follow_page_escapes_a_response(client, issue, triage_user):
    services.issue_transition(
        issue=issue, name="respond", by=triage_user, response="<img src=x onerror=alert(1)>"
    )
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("name", ["issues:follow", "issues:submitted"])
def test_a_tampered_link_is_not_found(client, issue, name):
    token = issue.follow_token()
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(reverse(name, args=[tampered])).status_code == 404
    assert client.get(reverse(name, args=["nonsense"])).status_code == 404


def test_a_link_for_an_unknown_issue_is_not_found(client, issue):
    token = links.make_token(FOLLOW_LINK_PURPOSE, "0b7e5e4c-0000-4000-8000-000000000000")
    assert client.get(reverse("issues:follow", args=[token])).status_code == 404
    not_a_uuid = links.make_token(FOLLOW_LINK_PURPOSE, "42")
    assert client.get(reverse("issues:follow", args=[not_a_uuid])).status_code == 404


def test_a_link_made_for_something_else_is_not_found(client, issue):
    foreign = links.make_token("grant-draft", str(issue.follow_key))
    assert client.get(reverse("issues:follow", args=[foreign])).status_code == 404


def test_a_reference_alone_opens_nothing(client, issue):
    assert client.get(f"/issues/follow/{issue.reference}/").status_code == 404


def _aged(monkeypatch, days):
    real_loads = signing.loads

    def later(*args, **kwargs):
        # Reading the link ``days`` from now: the age check sees it that much older.
        if kwargs.get("max_age") is not None:
            kwargs["max_age"] = kwargs["max_age"] - timedelta(days=days).total_seconds()
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(signing, "loads", later)


def test_a_link_works_for_89_days(client, issue, monkeypatch):
    token = issue.follow_token()
    _aged(monkeypatch, 89)
    assert client.get(reverse("issues:follow", args=[token])).status_code == 200


def test_a_link_stops_working_after_90_days_and_offers_to_send_it_again(
    client, issue, monkeypatch
):
    token = issue.follow_token()
    _aged(monkeypatch, 90)
    response = client.get(reverse("issues:follow", args=[token]))
    assert response.status_code == 404
    assert f'action="{LINKS}"' in response.content.decode()


def test_triage_revokes_one_residents_link_and_it_is_emailed_again(client, issue, triage_user):
    from issues.models import IssueEvent

    other = IssueFactory(named=True)
    old, others = issue.follow_token(), other.follow_token()
    client.force_login(triage_user)
    response = client.post(reverse("admin:issues_issue_changelist"), {
        "action": "revoke_private_link", "_selected_action": [issue.pk],
    })
    assert response.status_code == 302
    client.logout()
    assert client.get(reverse("issues:follow", args=[old])).status_code == 404
    assert client.get(reverse("issues:follow", args=[others])).status_code == 200
    issue.refresh_from_db()
    assert client.get(issue.get_absolute_url()).status_code == 200
    event = issue.events.get(kind=IssueEvent.Kind.LINK_REVOKED)
    assert event.actor == triage_user and not event.public
    message = Message.objects.get(kind="issues.follow_link")
    assert message.to_email == issue.email
    assert "earlier links no longer work" in message.body_text
    assert follow_link_in(message.body_text) == issue


def test_only_triage_revokes_links(client, issue, grant_staff_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.issue_link_revoke(issue=issue, by=grant_staff_user)


def test_the_follow_page_refuses_post(client, issue):
    assert client.post(issue.get_absolute_url()).status_code == 405


# The timeline -----------------------------------------------------------------------------------


def _timeline(client, issue) -> list[str]:
    html = client.get(issue.get_absolute_url()).content.decode()
    timeline = html[html.index('id="timeline-heading"'):html.index("</ol>")]
    return re.findall(r'<p class="issues-timeline-title mb-0"><strong>(.*?)</strong>', timeline)


def test_the_timeline_shows_each_public_step_and_never_internal_ones(
    client, issue, triage_user, homelessness_table
):
    homelessness_table.status = homelessness_table.Status.ACTIVE
    homelessness_table.save()
    services.issue_assign(issue=issue, assignee=triage_user, by=triage_user)
    services.issue_add_note(issue=issue, text="Spoke to outreach", by=triage_user)
    services.issue_transition(issue=issue, name="start_review", by=triage_user)
    services.issue_transition(
        issue=issue, name="refer", by=triage_user, action_table=homelessness_table
    )
    services.issue_transition(
        issue=issue, name="respond", by=triage_user, response="Outreach visits the park daily."
    )
    services.issue_transition(issue=issue, name="close", by=triage_user)
    assert _timeline(client, issue) == [
        "Received",
        "In review",
        "Referred to an action table: Homelessness Action Table",
        "Response from staff",
        "Closed",
    ]
    html = client.get(issue.get_absolute_url()).content.decode()
    assert "Outreach visits the park daily." in html
    assert f'href="/action-tables/{homelessness_table.slug}/"' in html
    assert "Spoke to outreach" not in html and triage_user.username not in html


def test_the_timeline_names_each_table_an_issue_was_referred_to(
    client, issue, triage_user, homelessness_table
):
    from actiontables.models import ActionTable

    forming = ActionTable.objects.create(
        name="Youth Housing Action Table", slug="youth-housing", summary=".",
        status=ActionTable.Status.FORMING,
        # A table receives referrals only once someone there would hear of them.
        contact_email="youth-housing@halton.example",
    )
    services.issue_transition(
        issue=issue, name="refer", by=triage_user, action_table=homelessness_table
    )
    services.issue_transition(issue=issue, name="return_to_review", by=triage_user)
    services.issue_transition(issue=issue, name="refer", by=triage_user, action_table=forming)
    assert _timeline(client, issue) == [
        "Received",
        "Referred to an action table: Homelessness Action Table",
        "In review",
        "Referred to an action table: Youth Housing Action Table",
    ]
    html = client.get(issue.get_absolute_url()).content.decode()
    # A forming table has no public page yet: named, not linked.
    assert 'href="/action-tables/youth-housing/"' not in html


def test_the_timeline_shows_spam_as_closed_and_a_reopening(client, issue, triage_user, cswb_admin):
    services.issue_transition(issue=issue, name="mark_spam", by=triage_user)
    assert _timeline(client, issue) == ["Received", "Closed"]
    services.issue_transition(issue=issue, name="not_spam", by=triage_user)
    services.issue_transition(issue=issue, name="close", by=triage_user)
    services.issue_transition(issue=issue, name="reopen", by=cswb_admin)
    assert _timeline(client, issue) == ["Received", "Closed", "Reopened", "Closed", "Reopened"]
    assert "spam" not in client.get(issue.get_absolute_url()).content.decode().lower()


def test_the_timeline_is_read_in_one_query(issue, triage_user, homelessness_table,
                                           django_assert_num_queries):
    from issues.selectors import public_timeline

    for _ in range(3):
        services.issue_transition(
            issue=issue, name="refer", by=triage_user, action_table=homelessness_table
        )
        services.issue_transition(issue=issue, name="return_to_review", by=triage_user)
    with django_assert_num_queries(1):
        assert len(public_timeline(issue)) == 7


# Lost links ------------------------------------------------------------------------------------

LINKS = "/issues/follow/new-link/"


def test_the_url_of_the_lost_link_page_is_kept():
    assert reverse("issues:request_links") == LINKS


def test_a_lost_link_is_emailed_again_to_the_address_on_file(
    client, issue, started, django_capture_on_commit_callbacks
):
    other = IssueFactory(named=True, email=issue.email.upper())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LINKS, {"email": f" {issue.email.upper()} ", "started": started})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    sent = sorted(mail.outbox, key=lambda m: m.subject)
    assert len(sent) == 2
    assert {follow_link_in(m.body) for m in sent} == {issue, other}
    assert all(m.to[0].lower() == issue.email for m in sent)
    assert issue.reference in sent[0].subject + sent[1].subject


def test_the_answer_is_the_same_whether_or_not_an_address_is_on_file(client, issue, started):
    known = client.post(LINKS, {"email": issue.email, "started": started}).content.decode()
    unknown = client.post(LINKS, {"email": "nobody@example.org", "started": started})
    unknown = unknown.content.decode()
    strip = re.compile(r'value="[^"]*"|' + re.escape(issue.email) + "|nobody@example.org")
    assert strip.sub("", known) == strip.sub("", unknown)
    assert Message.objects.filter(kind="issues.follow_link").count() == 1


@pytest.mark.parametrize(
    "fields",
    [{"anonymous": True, "name": "", "email": "", "phone": "", "consent_to_contact": False},
     {"consent_to_contact": False}],
)
def test_no_link_goes_to_an_address_the_resident_did_not_agree_to(client, started, fields):
    issue = IssueFactory(named=True, **fields)
    client.post(LINKS, {"email": issue.email or "resident@example.org", "started": started})
    assert not Message.objects.filter(kind="issues.follow_link").exists()


def test_no_link_goes_out_once_the_contact_details_are_removed(client, issue, started):
    from django.utils import timezone

    Issue.objects.filter(pk=issue.pk).update(contact_removed_at=timezone.now())
    client.post(LINKS, {"email": issue.email, "started": started})
    assert not Message.objects.filter(kind="issues.follow_link").exists()


def test_each_link_goes_out_at_most_once_an_hour(client, issue, started):
    for _ in range(3):
        assert client.post(LINKS, {"email": issue.email, "started": started}).status_code == 200
    assert Message.objects.filter(kind="issues.follow_link").count() == 1


def test_the_link_emails_are_forgotten_with_the_contact_details(issue):
    from datetime import timedelta

    from django.utils import timezone

    services.follow_links_send(email=issue.email)
    Issue.objects.filter(pk=issue.pk).update(
        status="closed", closed_at=timezone.now() - timedelta(days=365 * 3)
    )
    assert services.issues_remove_expired_contacts() == 1
    assert not Message.objects.filter(kind="issues.follow_link").exists()


def test_requests_for_links_are_rate_limited(client, started, db):
    for _ in range(views.LINKS_LIMIT.limit):
        client.post(LINKS, {"email": "someone@example.org", "started": started})
    response = client.post(LINKS, {"email": "someone.else@example.org", "started": started})
    assert response.status_code == 429
    assert 'value="someone.else@example.org"' in response.content.decode()
    assert client.get(LINKS).status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": ""}, "Enter the email address you gave with your issue."),
        ({"email": "not-an-address"}, "Enter an email address like name@example.com."),
        ({"email": "a@example.org", "website": "spam"}, "Please leave the last field empty."),
    ],
)
def test_a_bad_request_for_links_is_explained(client, started, data, message, db):
    response = client.post(LINKS, {"started": started, **data})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'id="error-summary"' in html
    assert not Message.objects.filter(kind="issues.follow_link").exists()


def test_a_bad_link_offers_to_send_the_links_again(client, issue):
    response = client.get(reverse("issues:follow", args=["nonsense"]))
    html = response.content.decode()
    assert response.status_code == 404
    assert "This link does not work" in html
    assert f'action="{LINKS}"' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_confirmation_and_follow_pages_point_to_the_lost_link_page(client, issue):
    for name in ("issues:submitted", "issues:follow"):
        html = client.get(reverse(name, args=[issue.follow_token()])).content.decode()
        assert f'href="{LINKS}"' in html, name


def test_the_lost_link_page_refuses_other_methods(client, db):
    assert client.put(LINKS).status_code == 405
