"""The whole journey in a browser: apply, save, resume from the email, submit, screen, review,
approve, each step checked with axe (every public page: cswb/tests/test_public_pages.py)."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cswb.lib.forms import HumanCheckMixin
from cswb.outbox.models import Message
from grants.models import Application, Review
from grants.tests.factories import RoundFactory
from grants.tests.test_attachments import PDF
from grants.workflow import State

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_form(monkeypatch):
    # The minimum fill time stays on, shortened to keep the test quick.
    monkeypatch.setattr(HumanCheckMixin, "min_fill_seconds", 1)


def sign_in(page, live_server, user):
    """Give the browser tab a signed-in session for ``user``."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    )


def click_and_wait(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_it_takes_an_application_from_the_form_to_an_award(
    page, live_server, assert_accessible, grant_staff_user, reviewer_user
):
    round_ = RoundFactory(name="Test intake", funding_year=2027)

    # The applicant finds the open intake and starts a draft with the first step.
    page.goto("/grants/")
    assert_accessible(page)
    page.get_by_role("link", name="Apply to the Test intake").click()
    page.wait_for_url(f"**/grants/apply/{round_.slug}/")
    assert_accessible(page)
    page.get_by_label("Legal name of the organization").fill("Youth Futures Halton")
    page.get_by_label("Non-profit organization").check()
    page.get_by_label("Mailing address").fill("1 Main Street, Milton ON")
    page.get_by_label("Milton").check()
    page.get_by_label("Contact person").fill("Ada Okafor")
    page.get_by_label("Contact email").fill("ada@example.org")
    page.get_by_label("Contact phone").fill("905-555-0100")
    page.wait_for_timeout(1100)  # the public form's minimum fill time, shortened
    click_and_wait(page, "Save and continue")
    assert "Your draft is saved" in page.locator(".messages").inner_text()
    assert "Step 2 of 5" in page.locator("h1").inner_text()
    page.get_by_label("Program title").fill("Mentors after school")
    page.wait_for_timeout(1100)
    click_and_wait(page, "Save and continue")
    page.set_input_files(
        "#id_attachments",
        files=[{"name": "plan.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.wait_for_timeout(1100)
    click_and_wait(page, "Save and continue")
    assert "Step 4 of 5" in page.locator("h1").inner_text()

    # The private link arrives by email; the applicant comes back through it later, to the
    # page that shows every answer.
    body = Message.objects.get(kind="grants.draft_link").body_text
    link = re.search(r"https?://\S+/grants/apply/continue/\S+/", body).group(0)
    page.context.clear_cookies()
    page.goto(urlsplit(link).path)
    assert "Check your answers" in page.locator("h1").inner_text()
    assert "Mentors after school" in page.locator("#answers-program").locator("..").inner_text()
    assert "plan.pdf" in page.locator("#answers-budget").locator("..").inner_text()
    assert_accessible(page)

    # A first try at submitting leads to the first step that lacks something, with the error
    # summary linked to the fields.
    click_and_wait(page, "Submit application")
    assert "Step 2 of 5" in page.locator("h1").inner_text()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert_accessible(page)
    summary.get_by_role("link", name=re.compile("Program summary")).click()
    assert page.evaluate("document.activeElement.id") == "id_program_summary"

    page.get_by_label("Program summary").fill("Weekly mentoring and sport.")
    page.get_by_label("Population served").fill("Youth 12 to 18 in north Milton.")
    page.get_by_label("Youngest participant age").fill("12")
    page.get_by_label("Oldest participant age").fill("18")
    page.get_by_label("Risk factors addressed").fill("School disengagement.")
    page.get_by_label("Protective factors strengthened").fill("A trusted adult.")
    page.get_by_label("Activities").fill("Mentoring and basketball.")
    page.get_by_label("Expected outcomes").fill("Better attendance.")
    page.get_by_label("How outcomes will be measured").fill("Attendance records.")
    page.wait_for_timeout(1100)
    click_and_wait(page, "Save and check your answers")
    click_and_wait(page, "Submit application")
    assert "Step 3 of 5" in page.locator("h1").inner_text()
    page.get_by_label("Two years").check()
    page.get_by_label("Amount requested").fill("100000")
    page.get_by_label("Staff and facilitators, year 1").fill("50000")
    page.get_by_label("Staff and facilitators, year 2").fill("50000")
    page.wait_for_timeout(1100)
    click_and_wait(page, "Save and check your answers")
    click_and_wait(page, "Submit application")
    assert "Step 4 of 5" in page.locator("h1").inner_text()
    assert "Tick this declaration" in page.locator("#error-summary").inner_text()
    page.get_by_label("true and complete").check()
    page.get_by_label("authorized to apply").check()
    page.get_by_label("privacy notice").check()
    page.get_by_label("may publish").check()
    page.wait_for_timeout(1100)
    click_and_wait(page, "Save and check your answers")
    assert "$100,000.00" in page.locator("#answers-budget").locator("..").inner_text()
    click_and_wait(page, "Submit application")
    application = Application.objects.get()
    assert application.state == State.SUBMITTED
    assert application.reference in page.locator("h1").inner_text()
    assert_accessible(page)

    # Grant staff screen the application and assign a reviewer.
    sign_in(page, live_server, grant_staff_user)
    page.goto(reverse("admin:grants_application_change", args=[application.pk]))
    page.get_by_role("link", name="Start screening").click()
    click_and_wait(page, "Start screening")
    page.get_by_role("link", name="Eligible: send to review").click()
    assert "Meets every eligibility rule of the round." in page.content()
    click_and_wait(page, "Eligible: send to review")
    page.get_by_role("link", name="Assign a reviewer").click()
    page.get_by_label("Reviewer").select_option(str(reviewer_user.pk))
    click_and_wait(page, "Assign a reviewer")
    assert "Reviewer assigned" in page.content()

    # The reviewer declares no conflict and scores.
    review = Review.objects.get()
    sign_in(page, live_server, reviewer_user)
    page.goto(reverse("admin:grants_review_change", args=[review.pk]))
    page.get_by_label("No: I have no").check()
    click_and_wait(page, "Record my declaration")
    for criterion in round_.criteria.all():
        page.get_by_label(re.compile(rf"^{re.escape(criterion.name)}:?$")).select_option("4")
    page.get_by_label("Comments").fill("A clear plan with measurable outcomes.")
    click_and_wait(page, "Save my scores")
    assert "Your scores are saved" in page.content()

    # Staff see the average, recommend and approve.
    sign_in(page, live_server, grant_staff_user)
    page.goto(reverse("admin:grants_application_change", args=[application.pk]))
    assert "20.00 / 25" in page.content()
    page.get_by_role("link", name="Recommend", exact=True).click()
    click_and_wait(page, "Recommend")
    page.get_by_role("link", name="Approve", exact=True).click()
    assert page.get_by_label("Approved amount ($)").input_value() == "100000.00"
    click_and_wait(page, "Approve")
    application.refresh_from_db()
    assert application.state == State.APPROVED
    assert application.award.amount == 100000
    decision = Message.objects.get(kind="grants.decision")
    assert decision.to_email == "ada@example.org"

    # The funded program is public, and the list passes the accessibility check.
    page.context.clear_cookies()
    page.goto(reverse("grants:funded", args=[2027]))
    assert "Youth Futures Halton" in page.locator("table").inner_text()
    assert_accessible(page)
