from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse

from cswb.lib import links
from issues import services
from issues.models import FOLLOW_LINK_PURPOSE
from issues.tests.factories import IssueFactory


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


def test_a_link_still_works_after_a_year(client, issue, monkeypatch):
    token = issue.follow_token()
    real_loads = signing.loads

    def later(*args, **kwargs):
        # Reading the link a year from now: the age check sees it as 365 days old.
        kwargs["max_age"] = kwargs["max_age"] - timedelta(days=365).total_seconds()
        return real_loads(*args, **kwargs)

    monkeypatch.setattr(signing, "loads", later)
    assert client.get(reverse("issues:follow", args=[token])).status_code == 200


def test_the_follow_page_refuses_post(client, issue):
    assert client.post(issue.get_absolute_url()).status_code == 405
