import datetime

import pytest
from django.urls import reverse

from actiontables.models import ActionTable, ActionTableLead, KeyArea, Organization, ProgressUpdate
from actiontables.tests.factories import (
    ActionTableFactory,
    KeyAreaFactory,
    LeadershipSeatFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
    SubscriptionFactory,
)
from actiontables.tests.helpers import add_inline_row, admin_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def tables(lead_user):
    """Two tables; the lead user speaks for the organization leading the first."""
    own_org = OrganizationFactory(name="Reach Out Centre for Kids", short_name="ROCK")
    own_org.staff_contacts.add(lead_user)
    own = ActionTableFactory(name="Youth Mental Health", slug="youth-mh", leads=[own_org])
    other = ActionTableFactory(name="Food Security", slug="food")
    KeyAreaFactory(table=own, title="Coordinated access", order=1)
    ProgressUpdateFactory(table=other, title="Other table's update")
    SubscriptionFactory(table=own)
    LeadershipSeatFactory(name="Local hospitals")
    return {"own": own, "other": other, "org": own_org}


def url(name, *args):
    return reverse(f"admin:actiontables_{name}", args=args)


def pages(tables):
    own, other, org = tables["own"], tables["other"], tables["org"]
    update = ProgressUpdate.objects.get(table=other)
    return {
        "tables": url("actiontable_changelist"),
        "table_add": url("actiontable_add"),
        "own_table": url("actiontable_change", own.pk),
        "other_table": url("actiontable_change", other.pk),
        "table_import": url("actiontable_import"),
        "table_export": url("actiontable_export"),
        "organizations": url("organization_changelist"),
        "organization": url("organization_change", org.pk),
        "organization_import": url("organization_import"),
        "seats": url("leadershipseat_changelist"),
        "updates": url("progressupdate_changelist"),
        "other_update": url("progressupdate_change", update.pk),
        "subscriptions": url("subscription_changelist"),
    }


NO_ACCESS = dict.fromkeys(
    ["tables", "table_add", "own_table", "other_table", "table_import", "table_export",
     "organizations", "organization", "organization_import", "seats", "updates", "other_update",
     "subscriptions"],
    403,
)
# 302: the admin sends a user to its index when an object is outside their queryset.
EXPECTED = {
    "admin": dict.fromkeys(NO_ACCESS, 200),
    "lead": {**NO_ACCESS, "tables": 200, "own_table": 200, "other_table": 302, "updates": 200,
             "other_update": 302},
    "triage": {**NO_ACCESS, "tables": 200, "own_table": 200, "other_table": 200},
    "steward": NO_ACCESS,
    "grant_staff": NO_ACCESS,
    "reviewer": NO_ACCESS,
    "outsider": NO_ACCESS,
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_it_gives_each_role_exactly_its_admin_pages(client, role_users, tables, role):
    client.force_login(role_users[role])

    got = {name: client.get(address).status_code for name, address in pages(tables).items()}

    assert got == EXPECTED[role]


def test_it_lists_only_the_leads_own_tables(client, lead_user, tables):
    client.force_login(lead_user)

    text = client.get(url("actiontable_changelist")).content.decode()

    assert "Youth Mental Health" in text
    assert "Food Security" not in text


def test_it_lets_a_lead_add_key_areas_and_updates_but_not_change_the_table(
    client, lead_user, tables, django_capture_on_commit_callbacks
):
    own = tables["own"]
    client.force_login(lead_user)
    response = client.get(url("actiontable_change", own.pk))
    data = admin_form_data(response)
    assert "name" not in data  # read-only for a lead
    data["name"] = "Renamed by the lead"
    data["status"] = "sunset"
    add_inline_row(data, "key_areas", title="Family navigation", order="2")
    add_inline_row(
        data, "updates", date="2025-05-01", title="Navigation pilot", body="It started.",
        outcomes="", status="draft",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("actiontable_change", own.pk), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    own.refresh_from_db()
    assert own.name == "Youth Mental Health"
    assert own.status == ActionTable.Status.ACTIVE
    assert list(own.key_areas.values_list("title", flat=True)) == [
        "Coordinated access", "Family navigation"
    ]
    update = own.updates.get()
    assert update.title == "Navigation pilot"
    assert update.author == lead_user


def test_it_does_not_let_a_lead_delete_key_areas_or_leads(client, lead_user, tables):
    own = tables["own"]
    client.force_login(lead_user)
    data = admin_form_data(client.get(url("actiontable_change", own.pk)))
    area = own.key_areas.get()
    data["key_areas-0-DELETE"] = "on"
    data["leads-0-DELETE"] = "on"

    client.post(url("actiontable_change", own.pk), data)

    assert KeyArea.objects.filter(pk=area.pk).exists()
    assert own.leads.count() == 1


def test_it_refuses_a_lead_posting_to_another_table(client, lead_user, tables):
    other = tables["other"]
    client.force_login(lead_user)

    response = client.post(
        url("actiontable_change", other.pk),
        {"key_areas-TOTAL_FORMS": "1", "key_areas-INITIAL_FORMS": "0",
         "key_areas-0-title": "Sneaked in", "key_areas-0-order": "1"},
    )

    assert response.status_code in (302, 403)
    assert not other.key_areas.filter(title="Sneaked in").exists()


def test_it_refuses_a_lead_adding_an_update_to_another_table(client, lead_user, tables):
    client.force_login(lead_user)

    response = client.post(
        url("progressupdate_add"),
        {"table": tables["other"].pk, "date": "2025-01-01", "title": "Not mine",
         "body": "x", "status": "published"},
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ProgressUpdate.objects.filter(title="Not mine").exists()


def test_it_lets_a_lead_publish_an_update_for_their_table(
    client, lead_user, tables, django_capture_on_commit_callbacks
):
    client.force_login(lead_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("progressupdate_add"),
            {"table": tables["own"].pk, "date": "2025-01-01", "title": "Mine",
             "body": "We met.", "status": "published"},
        )

    assert response.status_code == 302
    update = ProgressUpdate.objects.get(title="Mine")
    assert update.author == lead_user
    assert update.published_at is not None


def test_it_gives_a_lead_without_an_organization_nothing(client, make_staff, tables):
    from cswb.accounts.roles import Role

    loner = make_staff("lone-lead", Role.ACTION_TABLE_LEAD)
    client.force_login(loner)

    assert client.get(url("actiontable_changelist")).status_code == 403
    assert client.get(url("progressupdate_changelist")).status_code == 403


def test_it_shows_triage_staff_tables_read_only(client, triage_user, tables):
    own = tables["own"]
    client.force_login(triage_user)

    response = client.get(url("actiontable_change", own.pk))
    data = admin_form_data(response) if response.context.get("adminform") else {}
    post = client.post(url("actiontable_change", own.pk), {**data, "name": "Changed"})

    assert 'name="_save"' not in response.content.decode()
    assert post.status_code == 403
    own.refresh_from_db()
    assert own.name == "Youth Mental Health"


# Administrators: creating and changing tables, and the bad input the issue lists ------------------


def new_table_data(client, **fields):
    data = admin_form_data(client.get(url("actiontable_add")))
    data.update(
        name="Test Table", slug="test-table", summary="What it does.", status="active",
        convened_on="2024-01-10",
    )
    data.update(fields)
    return data


def test_it_creates_a_table_with_ordered_leads_and_key_areas(client, cswb_admin):
    first = OrganizationFactory(name="First Org")
    second = OrganizationFactory(name="Second Org")
    client.force_login(cswb_admin)
    data = new_table_data(client)
    add_inline_row(data, "leads", organization=str(first.pk), order="1")
    add_inline_row(data, "leads", organization=str(second.pk), order="2")
    for n in range(3):
        add_inline_row(data, "key_areas", title=f"Area {n}", order=str(n))

    response = client.post(url("actiontable_add"), data)

    assert response.status_code == 302
    table = ActionTable.objects.get(slug="test-table")
    assert [lead.organization.name for lead in table.leads.all()] == ["First Org", "Second Org"]
    assert table.key_areas.count() == 3


def test_it_refuses_a_table_without_a_lead(client, cswb_admin):
    client.force_login(cswb_admin)
    data = new_table_data(client)
    add_inline_row(data, "key_areas", title="Area", order="1")

    response = client.post(url("actiontable_add"), data)

    assert response.status_code == 200
    assert "needs at least one lead organization" in response.content.decode()
    assert not ActionTable.objects.exists()
    assert not KeyArea.objects.exists()


def test_it_refuses_a_sunset_date_before_the_convened_date(client, cswb_admin):
    org = OrganizationFactory()
    client.force_login(cswb_admin)
    data = new_table_data(client, status="sunset", sunset_on="2023-01-01")
    add_inline_row(data, "leads", organization=str(org.pk), order="1")

    response = client.post(url("actiontable_add"), data)

    assert response.status_code == 200
    assert "is before the date convened" in response.content.decode()
    assert not ActionTable.objects.exists()
    assert not ActionTableLead.objects.exists()


def test_it_refuses_a_duplicate_slug(client, cswb_admin):
    ActionTableFactory(slug="test-table")
    org = OrganizationFactory()
    client.force_login(cswb_admin)
    data = new_table_data(client)
    add_inline_row(data, "leads", organization=str(org.pk), order="1")

    response = client.post(url("actiontable_add"), data)

    assert response.status_code == 200
    assert "Another action table already uses this slug" in response.content.decode()
    assert ActionTable.objects.count() == 1


def test_it_refuses_an_inactive_lead_organization(client, cswb_admin):
    org = OrganizationFactory(name="Closed Agency", active=False)
    client.force_login(cswb_admin)
    data = new_table_data(client)
    add_inline_row(data, "leads", organization=str(org.pk), order="1")

    response = client.post(url("actiontable_add"), data)

    assert response.status_code == 200
    assert "Closed Agency is marked inactive" in response.content.decode()
    assert not ActionTable.objects.exists()


def test_it_refuses_to_delete_an_organization_that_leads_a_table(client, cswb_admin, tables):
    org = tables["org"]
    client.force_login(cswb_admin)

    response = client.post(url("organization_delete", org.pk), {"post": "yes"})

    text = response.content.decode()
    assert "protected" in text
    assert "Youth Mental Health" in text
    assert Organization.objects.filter(pk=org.pk).exists()


def test_it_filters_tables_without_a_published_update_in_six_months(client, cswb_admin):
    fresh = ActionTableFactory(name="Fresh Table")
    ProgressUpdateFactory(table=fresh, date=datetime.date.today())
    stale = ActionTableFactory(name="Stale Table")
    ProgressUpdateFactory(table=stale, date=datetime.date.today() - datetime.timedelta(days=200))
    silent = ActionTableFactory(name="Silent Table")
    ProgressUpdateFactory(table=silent, status="draft", published_at=None)
    client.force_login(cswb_admin)

    text = client.get(url("actiontable_changelist"), {"updates": "none"}).content.decode()

    assert "Stale Table" in text
    assert "Silent Table" in text
    assert "Fresh Table" not in text


def test_it_searches_tables_by_lead_organization(client, cswb_admin):
    ActionTableFactory(name="Opioids", leads=[OrganizationFactory(name="ADAPT Services")])
    ActionTableFactory(name="Food Security")
    client.force_login(cswb_admin)

    text = client.get(url("actiontable_changelist"), {"q": "adapt"}).content.decode()

    assert "Opioids" in text
    assert "Food Security" not in text
