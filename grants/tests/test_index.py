import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.tests.factories import RoundFactory

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.now() + datetime.timedelta(days=n)


def test_it_says_intake_is_open_with_the_closing_time(client):
    RoundFactory(name="Spring intake", opens_at=days(-1), closes_at=days(5))
    html = client.get(reverse("grants:index")).content.decode()
    assert "Open now" in html
    assert "Apply to the Spring intake" in html


def test_it_says_when_an_upcoming_intake_opens(client):
    RoundFactory(name="Old intake", opens_at=days(-60), closes_at=days(-30))
    upcoming = RoundFactory(name="Next intake", opens_at=days(10), closes_at=days(40))
    html = client.get(reverse("grants:index")).content.decode()
    assert "Open now" not in html
    assert "Upcoming" in html
    assert "Intake is closed: the Old intake closed on" in html
    opens = timezone.localtime(upcoming.opens_at)
    assert f"the Next intake opens on {opens:%A}, {opens:%B} {opens.day}, {opens.year}" in html


def test_it_says_intake_is_closed_and_that_nothing_is_announced(client):
    RoundFactory(name="Old intake", opens_at=days(-60), closes_at=days(-30))
    html = client.get(reverse("grants:index")).content.decode()
    assert "Closed" in html
    assert "no new intake has been announced yet" in html


def test_it_works_with_no_round_at_all(client):
    response = client.get(reverse("grants:index"))
    assert response.status_code == 200
    assert "Intake is not open at the moment" in response.content.decode()


def test_it_refuses_post_on_the_grant_page(client):
    assert client.post(reverse("grants:index")).status_code == 405


def test_the_cached_page_turns_to_closed_when_intake_closes(client, monkeypatch, settings):
    import time

    from grants.models import Round

    # An in-process cache whose clock this test can move (Redis keeps its own time).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "grants-index-test"}}
    round_ = RoundFactory(name="Spring intake", opens_at=days(-1),
                          closes_at=timezone.now() + datetime.timedelta(seconds=100))
    assert "Open now" in client.get(reverse("grants:index")).content.decode()
    # Move the closing time without signals, so only the page's own lifetime can refresh it.
    Round.objects.filter(pk=round_.pk).update(closes_at=days(-1))
    assert "Open now" in client.get(reverse("grants:index")).content.decode()
    later = time.time() + 101
    monkeypatch.setattr("django.core.cache.backends.locmem.time.time", lambda: later)
    assert "Open now" not in client.get(reverse("grants:index")).content.decode()
