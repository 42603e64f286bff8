"""Signposts: where a resident is pointed for what the plan does not handle, kept by staff."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from issues import reference
from issues.models import Signpost, Topic
from issues.tests.factories import IssueFactory

FORM = "/issues/new/"


@pytest.fixture
def signposts(db):
    reference.load_signposts()
    return {s.title: s for s in Signpost.objects.all()}


def test_every_topic_has_a_rule_that_shows_its_signposts():
    css = Path(finders.find("css/issues.css")).read_text()
    for topic in Topic.values:
        assert f'#id_topic option[value="{topic}"]:checked' in css, topic
        assert f".issues-signpost-{topic})" in css, topic


def test_the_form_carries_each_signpost_marked_with_its_topics(client, signposts):
    html = client.get(FORM).content.decode()
    box = html[html.index('class="issues-signposts"'):html.index('id="div_id_municipality"')]
    assert box.startswith('class="issues-signposts" aria-live="polite"')
    dog = re.search(r'<li class="([^"]+)">\s*<strong>A dog bite', box).group(1).split()
    assert dog == ["issues-signpost", "issues-signpost-other"]
    assert '<a href="tel:311">Call 311</a>' in box
    assert '<a href="tel:211">Call 211</a>' in box
    assert '<a href="https://211ontario.ca/">Visit 211ontario.ca</a>' in box
    assert '<a href="tel:9058254777">Call 905-825-4777</a>' in box


def test_an_inactive_signpost_is_not_shown(client, signposts):
    Signpost.objects.filter(title__startswith="A dog bite").update(active=False)
    assert "A dog bite" not in client.get(FORM).content.decode()


def test_a_staff_edit_shows_on_the_next_form(client, signposts, django_capture_on_commit_callbacks):
    assert "Halton Hills animal services" not in client.get(FORM).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Signpost.objects.create(
            title="Halton Hills animal services", advice="Call them.", phone="905-555-0100",
            topics=[Topic.OTHER],
        )
    assert "Halton Hills animal services" in client.get(FORM).content.decode()


def test_the_confirmation_shows_the_signposts_of_the_issues_topic_only(client, signposts):
    issue = IssueFactory(topic=Topic.OTHER)
    html = client.get(reverse("issues:submitted", args=[issue.follow_token()])).content.decode()
    assert "Other places that can help with this" in html
    assert "A dog bite or an animal attack" in html
    assert "Noise, parking, property standards" in html
    assert "Services near you" in html

    housing = IssueFactory(topic=Topic.HOUSING)
    html = client.get(reverse("issues:submitted", args=[housing.follow_token()])).content.decode()
    assert "Services near you" in html
    assert "A dog bite" not in html


def test_the_confirmation_has_no_signpost_section_when_none_applies(client, db):
    issue = IssueFactory(topic=Topic.YOUTH)
    html = client.get(reverse("issues:submitted", args=[issue.follow_token()])).content.decode()
    assert "Other places that can help" not in html


def test_reference_data_keeps_staff_changes(db):
    assert reference.load_signposts() == len(reference.SIGNPOSTS)
    Signpost.objects.filter(phone="311").delete()
    assert reference.load_signposts() == 0
    assert not Signpost.objects.filter(phone="311").exists()


@pytest.mark.parametrize(
    ("phone", "uri"),
    [("311", "tel:311"), ("905-825-4777", "tel:9058254777"), ("+1 905 555 0100 ext. 12",
                                                              "tel:+19055550100")],
)
def test_a_phone_number_becomes_a_dialable_link(phone, uri):
    assert Signpost(phone=phone).phone_uri == uri


def test_triage_staff_add_a_signpost_in_the_admin(client, triage_user):
    client.force_login(triage_user)
    response = client.post(
        reverse("admin:issues_signpost_add"),
        {
            "title": "Oakville animal services",
            "advice": "For a stray or an injured animal in Oakville.",
            "phone": "905-555-0101",
            "website": "oakville.example/animals",
            "topics": [Topic.OTHER, Topic.YOUTH],
            "order": "5",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    signpost = Signpost.objects.get()
    assert signpost.topics == ["other", "youth"]
    assert signpost.website == "https://oakville.example/animals"
    listing = client.get(reverse("admin:issues_signpost_changelist")).content.decode()
    assert "Something else, Youth" in listing


def test_a_signpost_needs_a_topic(client, triage_user):
    client.force_login(triage_user)
    response = client.post(
        reverse("admin:issues_signpost_add"),
        {"title": "Nowhere", "advice": "Call.", "order": "0", "active": "on"},
    )
    assert response.status_code == 200
    assert not Signpost.objects.exists()


@pytest.mark.parametrize("role", ["lead", "grant_staff", "outsider"])
def test_other_roles_cannot_edit_signposts(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(reverse("admin:issues_signpost_add")).status_code == 403
