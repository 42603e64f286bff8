import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from actiontables.tests.factories import ActionTableFactory, ProgressUpdateFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(response):
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, in a test
    return [entry.find(f"{ATOM}title").text for entry in root.findall(f"{ATOM}entry")]


def test_it_serves_an_atom_feed_of_published_updates_newest_first(client):
    food = ActionTableFactory(name="Food Security")
    ProgressUpdateFactory(table=food, title="Older", date=datetime.date(2024, 1, 1))
    ProgressUpdateFactory(table=food, title="Newer", date=datetime.date(2025, 1, 1))
    ProgressUpdateFactory(table=food, title="Draft", status="draft", published_at=None)
    quiet = ActionTableFactory(status="forming")
    ProgressUpdateFactory(table=quiet, title="Forming news")

    response = client.get(reverse("actiontables:feed"))

    assert response["Content-Type"].startswith("application/atom+xml")
    assert entries(response) == ["Food Security: Newer", "Food Security: Older"]


def test_it_serves_a_feed_per_table(client):
    food = ActionTableFactory(name="Food Security", slug="food")
    ProgressUpdateFactory(table=food, title="Ours")
    ProgressUpdateFactory(title="Theirs")

    response = client.get(reverse("actiontables:table_feed", args=["food"]))

    assert entries(response) == ["Food Security: Ours"]


def test_it_answers_404_for_the_feed_of_an_unknown_table(client):
    assert client.get(reverse("actiontables:table_feed", args=["nope"])).status_code == 404
