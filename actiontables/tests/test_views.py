import datetime
import re

import pytest
from django.urls import reverse

from actiontables.models import ActionTable, ProgressUpdate
from actiontables.tests.factories import (
    ActionTableFactory,
    KeyAreaFactory,
    LeadershipMemberFactory,
    LeadershipSeatFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
)

pytestmark = pytest.mark.django_db


def test_it_lists_active_tables_with_their_leads_and_zones(client):
    rock = OrganizationFactory(name="Reach Out Centre for Kids", short_name="ROCK")
    cmha = OrganizationFactory(name="Canadian Mental Health Association", short_name="CMHA")
    ActionTableFactory(name="Crisis Mental Health", leads=[rock, cmha], zones=["risk-intervention"])

    response = client.get(reverse("actiontables:index"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Crisis Mental Health" in text
    assert text.index("Reach Out Centre") < text.index("Canadian Mental Health Association")
    assert "Risk intervention" in text


def test_it_lists_sunset_tables_apart_with_their_dates(client):
    ActionTableFactory(name="Working Table", status=ActionTable.Status.ACTIVE)
    ActionTableFactory(
        name="COVID-19 Table",
        status=ActionTable.Status.SUNSET,
        convened_on=datetime.date(2020, 3, 20),
        sunset_on=datetime.date(2021, 4, 30),
    )

    response = client.get(reverse("actiontables:index"))

    text = response.content.decode()
    sunset_section = text[text.index('id="sunset-title"'):]
    active_section = text[text.index('id="active-title"'):text.index('id="sunset-title"')]
    assert "COVID-19 Table" in sunset_section
    assert "April 2021" in sunset_section
    assert "COVID-19 Table" not in active_section
    assert "Working Table" in active_section


def test_it_hides_forming_tables_from_the_public(client):
    ActionTableFactory(name="Quiet Table", slug="quiet", status=ActionTable.Status.FORMING)

    assert "Quiet Table" not in client.get(reverse("actiontables:index")).content.decode()
    assert client.get(reverse("actiontables:table", args=["quiet"])).status_code == 404


def test_it_shows_a_forming_table_to_an_administrator(client, cswb_admin):
    ActionTableFactory(name="Quiet Table", slug="quiet", status=ActionTable.Status.FORMING)
    client.force_login(cswb_admin)

    response = client.get(reverse("actiontables:table", args=["quiet"]))

    assert response.status_code == 200
    assert "visible to staff only" in response.content.decode()


def test_it_filters_the_index_by_zone(client):
    ActionTableFactory(name="Food Security", zones=["social-development"])
    ActionTableFactory(name="Sexual Assault", zones=["incident-response"])

    response = client.get(reverse("actiontables:index"), {"zone": "incident-response"})

    text = response.content.decode()
    assert "Sexual Assault" in text
    assert "Food Security" not in text
    assert "Active tables: Incident response" in text


def test_it_refuses_an_unknown_zone_with_a_message(client):
    ActionTableFactory(name="Food Security", zones=["social-development"])

    response = client.get(reverse("actiontables:index"), {"zone": "nonsense"})

    assert response.status_code == 400
    text = response.content.decode()
    assert "There is no zone called “nonsense”" in text
    assert "Food Security" in text


def test_it_paginates_the_index(client):
    for n in range(25):
        ActionTableFactory(name=f"Table {n:02d}")

    first = client.get(reverse("actiontables:index")).content.decode()
    second = client.get(reverse("actiontables:index"), {"page": 2}).content.decode()

    assert "Table 00" in first and "Table 24" not in first
    assert "Table 24" in second and "Table 00" not in second


def test_it_shows_a_table_with_key_areas_in_order_and_published_updates_newest_first(client):
    table = ActionTableFactory(name="Homelessness", slug="homelessness")
    KeyAreaFactory(table=table, title="Second area", order=2)
    KeyAreaFactory(table=table, title="First area", order=1)
    ProgressUpdateFactory(table=table, title="Older news", date=datetime.date(2024, 1, 5))
    ProgressUpdateFactory(table=table, title="Newer news", date=datetime.date(2025, 3, 1))
    ProgressUpdateFactory(
        table=table, title="Secret draft", status=ProgressUpdate.Status.DRAFT, published_at=None
    )

    response = client.get(reverse("actiontables:table", args=["homelessness"]))

    text = response.content.decode()
    assert text.index("First area") < text.index("Second area")
    assert text.index("Newer news") < text.index("Older news")
    assert "Secret draft" not in text
    assert "A shared referral form" in text


def test_it_answers_404_for_an_unknown_table(client):
    assert client.get(reverse("actiontables:table", args=["nope"])).status_code == 404


def test_it_refuses_post_on_public_pages(client):
    ActionTableFactory(slug="homelessness")

    assert client.post(reverse("actiontables:index")).status_code == 405
    assert client.post(reverse("actiontables:table", args=["homelessness"])).status_code == 405
    assert client.post(reverse("actiontables:leadership")).status_code == 405


def test_it_shows_the_leadership_group(client):
    member = LeadershipMemberFactory(
        seat__name="Local hospitals",
        organization__name="Joseph Brant Hospital",
        representative="Pat Chen",
    )
    LeadershipMemberFactory(
        seat=member.seat,
        organization__name="Former Hospital",
        term_start=datetime.date(2018, 1, 1),
        term_end=datetime.date(2019, 1, 1),
    )

    response = client.get(reverse("actiontables:leadership"))

    text = response.content.decode()
    assert "Local hospitals" in text
    assert "Joseph Brant Hospital" in text
    assert "Pat Chen" in text
    assert "Former Hospital" not in text


# What the Region publishes about a member: the organization only.
ORGANIZATION_ONLY = {"representative": "", "representative_title": "", "term_start": None}


def _column_headers(html):
    head = html[html.index("<thead>"):html.index("</thead>")]
    return re.findall(r'<th scope="col">([^<]*)</th>', head)


def test_the_leadership_group_has_no_column_that_is_empty_on_every_row(client):
    # What the Region publishes: the seats and the organizations, no names or terms.
    member = LeadershipMemberFactory(
        seat__name="Local hospitals", organization__name="Joseph Brant Hospital",
        **ORGANIZATION_ONLY,
    )
    LeadershipMemberFactory(seat=member.seat, organization__name="Milton District Hospital",
                            **ORGANIZATION_ONLY)
    LeadershipSeatFactory(name="Local boards of education")

    html = client.get(reverse("actiontables:leadership")).content.decode()

    assert _column_headers(html) == ["Seat", "Organization"]
    assert "Not published" not in html and "—" not in html
    assert 'colspan="1">Vacant' in html
    assert "the names of their representatives are not published here" in html


def test_the_leadership_group_shows_representatives_and_terms_once_recorded(
    client, django_capture_on_commit_callbacks
):
    member = LeadershipMemberFactory(seat__name="Local hospitals",
                                     organization__name="Joseph Brant Hospital",
                                     **{**ORGANIZATION_ONLY, "representative": "Pat Chen"})
    LeadershipMemberFactory(seat=member.seat, organization__name="Milton District Hospital",
                            **ORGANIZATION_ONLY)

    html = client.get(reverse("actiontables:leadership")).content.decode()
    assert _column_headers(html) == ["Seat", "Organization", "Representative"]
    assert "Pat Chen" in html and "Not published" in html

    with django_capture_on_commit_callbacks(execute=True):  # a staff edit refreshes the page
        LeadershipMemberFactory(seat=member.seat, organization__name="Oakville Trafalgar",
                                **{**ORGANIZATION_ONLY, "term_start": datetime.date(2024, 1, 1)})
    html = client.get(reverse("actiontables:leadership")).content.decode()
    assert _column_headers(html) == ["Seat", "Organization", "Representative", "Term"]
    assert "January 2024 – ongoing" in html
    assert "the names of their representatives are not published here" not in html


def test_it_links_the_published_indicators_a_table_aims_to_move(client):
    from indicators.tests.factories import IndicatorFactory

    table = ActionTableFactory(slug="homelessness")
    shown = IndicatorFactory(name="Emergency shelter placements", slug="shelter", published=True)
    hidden = IndicatorFactory(name="Draft indicator", published=False)
    table.indicators.add(shown, hidden)

    text = client.get(reverse("actiontables:table", args=["homelessness"])).content.decode()

    assert "Emergency shelter placements" in text
    assert reverse("indicators:indicator", args=["shelter"]) in text
    assert "Draft indicator" not in text


FORMING_PAGE = {
    "admin": 200, "lead": 200, "triage": 200,
    "steward": 404, "grant_staff": 404, "reviewer": 404, "outsider": 404,
}


@pytest.mark.parametrize(("role", "expected"), list(FORMING_PAGE.items()))
def test_it_shows_a_forming_table_only_to_roles_that_may_see_it(
    client, role_users, role, expected
):
    org = OrganizationFactory()
    org.staff_contacts.add(role_users["lead"])
    ActionTableFactory(slug="quiet", status=ActionTable.Status.FORMING, leads=[org])
    client.force_login(role_users[role])

    assert client.get(reverse("actiontables:table", args=["quiet"])).status_code == expected


@pytest.mark.parametrize("role", list(FORMING_PAGE))
def test_it_shows_the_same_public_pages_to_every_role(client, role_users, role):
    ActionTableFactory(name="Food Security", slug="food")
    client.force_login(role_users[role])

    for name, args in [("index", []), ("table", ["food"]), ("leadership", []), ("feed", [])]:
        response = client.get(reverse(f"actiontables:{name}", args=args))
        assert response.status_code == 200, name
    assert "Food Security" in client.get(reverse("actiontables:index")).content.decode()
