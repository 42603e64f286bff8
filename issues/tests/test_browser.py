"""A resident brings an issue forward in a real browser; every public page passes axe."""

import pytest
from django.core import mail

from cswb.lib.forms import HumanCheckMixin
from cswb.lib.ratelimit import hit
from cswb.testing.worker import wait_for
from issues import views
from issues.models import Issue, TriageContact
from issues.tests.factories import follow_link_in

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_form(monkeypatch):
    # The minimum fill time stays on, shortened to keep the test quick.
    monkeypatch.setattr(HumanCheckMixin, "min_fill_seconds", 1)


def test_a_resident_submits_an_issue_and_gets_the_acknowledgement(page, assert_accessible):
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    page.goto("/issues/new/")
    assert page.locator("h1").inner_text() == "Bring an issue forward"
    assert_accessible(page)

    # Sending nothing: errors at the top, linked to the fields, and next to them. Wait out the
    # minimum fill time first, so that only the missing answers are reported.
    page.wait_for_timeout(1200)
    page.get_by_role("button", name="Send the issue").click()
    summary = page.locator("#error-summary")
    assert "There are 3 problems with your answers" in summary.inner_text()
    assert page.title().startswith("Error:")
    assert_accessible(page)
    summary.get_by_role("link", name="Describe the issue.").click()
    assert page.evaluate("document.activeElement.id") == "id_description"

    page.get_by_label("What is the issue about?").select_option(label="Food security")
    page.get_by_label("Which municipality does it concern?").select_option(label="Milton")
    page.get_by_label("Describe the issue").fill(
        "The food bank on Main Street has had empty shelves for three weeks. <b>Help</b>"
    )
    page.get_by_label("Yes, I will give my name").check()
    page.get_by_label("Your name", exact=True).fill("Morgan Resident")
    page.get_by_label("Email address", exact=True).fill("morgan@example.org")
    page.get_by_label("I agree that CSWB staff may contact me about this issue.").check()
    page.wait_for_timeout(1100)
    page.get_by_role("button", name="Send the issue").click()

    page.wait_for_url("**/issues/received/**")
    reference = page.get_by_test_id("reference").inner_text().strip()
    issue = Issue.objects.get()
    assert reference == issue.reference
    assert issue.description.endswith("<b>Help</b>")
    assert_accessible(page)

    acknowledgement = wait_for(
        lambda: next((m for m in mail.outbox if m.to == ["morgan@example.org"]), None),
        what="the acknowledgement email",
    )
    assert reference in acknowledgement.subject
    assert follow_link_in(acknowledgement.body) == issue

    page.locator(".issues-follow-link a").click()
    page.wait_for_url("**/issues/follow/**")
    assert page.locator("h1").inner_text() == f"Issue {reference}"
    assert "New" in page.locator(".issues-status").inner_text()
    assert_accessible(page)


def test_the_form_works_at_phone_width(page, assert_accessible):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/issues/new/")
    assert page.get_by_role("button", name="Send the issue").is_visible()
    assert_accessible(page)


def test_the_rate_limit_page_is_accessible(page, assert_accessible):
    for _ in range(views.SUBMIT_LIMIT):
        hit("issues-submit", "127.0.0.1", limit=views.SUBMIT_LIMIT, window=views.SUBMIT_WINDOW)
    page.goto("/issues/new/")
    page.get_by_role("button", name="Send the issue").click()
    assert "Too many attempts" in page.locator("h1").inner_text()
    assert_accessible(page)
