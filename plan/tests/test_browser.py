"""Done when: from the home page to the plan, an outcome to its indicator, a strategy to its
table, the year's report and its PDF; every page passes the accessibility checks."""

import pytest

from cswb.testing.pdf import pdfinfo, pdftext
from plan import services
from plan.models import ProgressReport
from plan.tests.factories import CommitteeSeatFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def published_2024(known_plan, cswb_admin):
    """The known plan with its 2024 report approved and its PDF written."""
    from actiontables.tests.factories import LeadershipMemberFactory

    LeadershipMemberFactory(seat=CommitteeSeatFactory(sectors=["health"]).seat)
    report = services.report_generate(report=ProgressReport(
        plan=known_plan, year=2024, introduction="The first year the portal reports on."))
    assert services.report_approve(report=report, user=cswb_admin)
    assert services.report_pdf_render(report_id=report.pk) == ProgressReport.PdfState.READY
    return report


def test_a_reader_goes_from_the_home_page_to_the_plan_and_its_report(
    page, assert_accessible, published_2024
):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="The plan").click()
    page.wait_for_url("**/plan/")
    assert page.locator("h1").inner_text() == published_2024.plan.title
    assert_accessible(page)

    # An outcome leads to the indicator that measures it, which names the outcome back.
    outcome = page.locator("#outcome-" + str(
        published_2024.plan.strategies.get(name="Coordinated access").outcomes.get().pk))
    assert "On track" in outcome.inner_text()
    outcome.get_by_role("link", name="People in emergency shelter").click()
    page.wait_for_url("**/dashboard/indicators/in-shelter/")
    assert "Fewer people in shelter" in page.locator("#plan-outcomes-heading + ul").inner_text()
    assert_accessible(page)

    # A strategy leads to the table carrying it out, which names the priority it serves.
    page.go_back()
    page.locator("#strategy-" + str(published_2024.plan.strategies.get(
        name="Coordinated access").pk)).get_by_role("link", name="Homelessness Action Table"
                                                   ).click()
    page.wait_for_url("**/action-tables/homelessness-t/")
    in_plan = page.locator("section", has=page.locator("#plan-title")).inner_text()
    assert "Coordinated access" in in_plan and "Homelessness" in in_plan
    assert_accessible(page)

    # The year's report, and its PDF.
    page.go_back()
    page.get_by_role("link", name="Progress report 2024", exact=True).click()
    page.wait_for_url("**/plan/reports/2024/")
    totals = page.locator("table.report-totals").inner_text()
    assert "3" in totals and "2 grants, $150,000" in totals and "1 of 2" in totals
    assert "fewer than 5" in page.locator("#priority-" + str(
        published_2024.plan.risk_factors.get(name="Intimate partner violence").pk)).inner_text()
    assert_accessible(page)
    href = page.get_by_role("link", name="Download the 2024 report as a PDF").get_attribute("href")
    response = page.request.get(href)
    assert response.headers["content-type"] == "application/pdf"
    info = pdfinfo(response.body())
    assert info["Tagged"] == "yes"
    text = pdftext(response.body())
    assert "Progress report 2024" in text and "$150,000" in text and "fewer than 5" in text
    assert "Wider than your screen" not in text  # paper does not scroll


@pytest.mark.parametrize("path", ["/plan/committee/", "/plan/consultations/"])
def test_the_committee_and_consultation_pages_pass_the_accessibility_checks(
    page, assert_accessible, published_2024, path
):
    page.goto(path)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


def test_the_plan_reads_on_a_phone(page, assert_accessible, published_2024):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/plan/")
    page.get_by_text("How progress is judged").click()
    assert page.get_by_text("There is no baseline yet").is_visible()
    assert_accessible(page)


def test_the_staff_pages_of_the_plan_pass_the_accessibility_checks(
    page, assert_accessible, published_2024, cswb_admin
):
    page.goto("/admin/")
    page.get_by_label("Username").fill(cswb_admin.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/admin/")

    page.goto(f"/admin/plan/planversion/{published_2024.plan.pk}/duties/")
    assert page.locator("#duty-publication").inner_text().count("Met") == 1
    assert_accessible(page)
    page.goto(f"/admin/plan/progressreport/{published_2024.pk}/change/")
    assert "Write the PDF again" in page.locator("#content").inner_text()
    assert_accessible(page)
