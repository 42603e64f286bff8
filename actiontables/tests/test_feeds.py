import datetime
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from actiontables.tests.factories import ActionTableFactory, ProgressUpdateFactory
from cswb.testing.feeds import assert_valid_feed, html_to_text

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def updates():
    food = ActionTableFactory(name="Food Security", slug="food")
    ProgressUpdateFactory(
        table=food,
        title="Maps for <Region> & towns",
        body="We mapped every food bank in <Region>.\n\nNext: <b>vans</b> & drivers.",
        outcomes="A map of <Region>\nTwo new partners",
    )
    ProgressUpdateFactory(table=food, title="Second", outcomes="")
    return food


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


@pytest.mark.parametrize("name, args, kind", [
    ("actiontables:feed", [], "atom"),
    ("actiontables:table_feed", ["food"], "atom"),
    ("actiontables:feed_rss", [], "rss"),
    ("actiontables:table_feed_rss", ["food"], "rss"),
])
def test_every_feed_meets_its_specification(client, updates, name, args, kind):
    response = client.get(reverse(name, args=args))
    assert response["Content-Type"].startswith(f"application/{kind}+xml")
    assert_valid_feed(response.content, kind)


def test_it_sends_what_was_typed_as_text_not_as_markup(client, updates):
    root = ET.fromstring(client.get(reverse("actiontables:feed")).content)  # noqa: S314
    entry = [e for e in root.findall(f"{ATOM}entry") if "Maps" in e.find(f"{ATOM}title").text][0]
    assert entry.find(f"{ATOM}title").text == "Food Security: Maps for <Region> & towns"
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    shown = html_to_text(summary.text)  # what a feed reader displays
    assert "We mapped every food bank in <Region>." in shown
    assert "Next: <b>vans</b> & drivers." in shown
    assert "A map of <Region>" in shown


def test_entry_ids_are_tag_uris_that_stay_when_a_table_moves(client, updates, settings):
    settings.SITE_URL = "https://cswb.halton.ca"

    def ids(slug):
        root = ET.fromstring(  # noqa: S314
            client.get(reverse("actiontables:table_feed", args=[slug])).content
        )
        return [root.find(f"{ATOM}id").text] + [e.find(f"{ATOM}id").text
                                                for e in root.findall(f"{ATOM}entry")]

    before = ids("food")
    assert all(i.startswith("tag:cswb.halton.ca,2025:actiontables/") for i in before)
    updates.slug = "food-security"
    updates.save()
    assert ids("food-security") == before


def test_the_feed_names_its_author(client, updates):
    root = ET.fromstring(client.get(reverse("actiontables:feed")).content)  # noqa: S314
    author = root.find(f"{ATOM}author")
    assert author.find(f"{ATOM}name").text == "Community Safety and Well-Being team, Halton Region"
    assert author.find(f"{ATOM}email").text == "cswb@halton.ca"


def test_a_browser_that_opens_the_feed_gets_a_readable_page(client, updates):
    url = reverse("actiontables:table_feed", args=["food"])
    response = client.get(url, headers={"Sec-Fetch-Dest": "document"})
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Sec-Fetch-Dest" in response["Vary"]
    assert "This address is a news feed" in html
    assert "Maps for &lt;Region&gt; &amp; towns" in html
    assert "We mapped every food bank in &lt;Region&gt;." in html
    assert '<link rel="alternate" type="application/atom+xml"' in html
    # A feed reader asking for the same address still gets the feed, not the cached page.
    reader = client.get(url)
    assert reader["Content-Type"].startswith("application/atom+xml")
    assert "Sec-Fetch-Dest" in reader["Vary"]


def test_feed_links_use_the_configured_address_whoever_asks_first(client, settings):
    settings.SITE_URL = "https://cswb.example.org"
    food = ActionTableFactory(name="Food Security", slug="food")
    update = ProgressUpdateFactory(table=food, title="Newer")
    # The first request comes over plain HTTP (a proxy that sends no X-Forwarded-Proto) and
    # the page is then cached for everyone.
    for url in (reverse("actiontables:feed"), reverse("actiontables:table_feed", args=["food"])):
        body = client.get(url).content.decode()
        cached = client.get(url, secure=True).content.decode()
        assert body == cached
        assert "http://testserver" not in body
        assert f'href="https://cswb.example.org{update.get_absolute_url()}"' in body
        assert f'href="https://cswb.example.org{url}"' in body
