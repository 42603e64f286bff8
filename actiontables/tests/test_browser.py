import pytest
from django.urls import reverse

from actiontables import services
from actiontables.models import ActionTable
from actiontables.tests.factories import (
    ActionTableFactory,
    KeyAreaFactory,
    LeadershipMemberFactory,
    OrganizationFactory,
    ProgressUpdateFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.browser


def sign_in(page, user):
    page.goto("/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/admin/")


def test_a_staff_member_creates_a_table_and_finds_it_on_the_public_index(page, cswb_admin):
    OrganizationFactory(name="Food for Life", short_name="")
    OrganizationFactory(name="Kerr Street Mission", short_name="")
    sign_in(page, cswb_admin)

    page.goto("/admin/actiontables/actiontable/add/")
    page.locator("#id_name").press_sequentially("Neighbourhood Food Network")
    assert page.input_value("#id_slug") == "neighbourhood-food-network"  # filled as you type
    page.fill("#id_summary", "Gets fresh food to every neighbourhood.")
    page.select_option("#id_status", "active")
    page.fill("#id_convened_on", "2025-01-15")
    page.select_option("#id_leads-0-organization", label="Food for Life")
    page.fill("#id_leads-0-order", "1")
    page.locator("#leads-group .add-row a").click()
    page.select_option("#id_leads-1-organization", label="Kerr Street Mission")
    page.fill("#id_leads-1-order", "2")
    areas = page.locator("#key_areas-group")
    for n, title in enumerate(["Map the food banks", "Share one delivery van", "Open a hub"]):
        areas.locator(".add-row a").click()
        page.fill(f"#id_key_areas-{n}-title", title)
        page.fill(f"#id_key_areas-{n}-order", str(n + 1))
    page.locator('input[name="_save"]').click()
    page.wait_for_url("**/admin/actiontables/actiontable/")

    table = ActionTable.objects.get(slug="neighbourhood-food-network")
    assert [lead.organization.name for lead in table.leads.all()] == [
        "Food for Life", "Kerr Street Mission"
    ]
    assert table.key_areas.count() == 3
    page.goto("/action-tables/")
    card = page.locator("article", has_text="Neighbourhood Food Network")
    assert "Food for Life; Kerr Street Mission" in card.inner_text()
    card.get_by_role("link", name="Neighbourhood Food Network").click()
    page.wait_for_url("**/action-tables/neighbourhood-food-network/")
    assert page.locator("ol.key-areas li").all_inner_texts() == [
        "Map the food banks", "Share one delivery van", "Open a hub"
    ]


@pytest.fixture
def public_data(db):
    table = ActionTableFactory(
        name="Crisis Mental Health", slug="crisis", zones=["risk-intervention"],
        leads=[OrganizationFactory(name="Reach Out Centre for Kids")],
    )
    table.members.add(OrganizationFactory(name="Halton Healthcare"))
    KeyAreaFactory(table=table, title="Map the gaps")
    ProgressUpdateFactory(table=table, title="First meeting")
    ActionTableFactory(name="COVID-19", slug="covid", status="sunset", sunset_on="2021-04-01")
    LeadershipMemberFactory(seat__name="Local hospitals")
    pending = SubscriptionFactory(table=table, email="p@example.net", confirmed_at=None)
    active = SubscriptionFactory(table=table, email="a@example.net")
    return {"table": table, "pending": pending, "active": active}


def test_the_follow_form_shows_errors_accessibly_and_at_phone_width(
    page, public_data, assert_accessible
):
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(reverse("actiontables:follow", args=["crisis"]))
    page.get_by_label("Your email address").fill("not-an-address")
    page.wait_for_timeout(3200)  # the form refuses answers sent faster than a person types
    page.get_by_role("button", name="Send me the confirmation link").click()

    assert "Enter an email address" in page.locator("#error-summary").inner_text()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_by_label("Your email address").input_value() == "not-an-address"
    assert_accessible(page)


def test_a_follower_adds_the_yearly_report_on_an_accessible_page(
    page, public_data, assert_accessible
):
    from urllib.parse import urlsplit

    page.goto(urlsplit(services.plan_reports_link(public_data["active"])).path)
    assert_accessible(page)
    page.get_by_role("button", name="Yes, send me the yearly report too").click()
    assert "will also get the plan's yearly progress report" in page.locator("main").inner_text()
    assert_accessible(page)
    public_data["active"].refresh_from_db()
    assert public_data["active"].plan_reports
