"""A resident brings an issue forward in a real browser; every public page passes axe."""

import pytest
from django.core import mail

from cswb.lib.forms import HumanCheckMixin
from cswb.testing.browser import focused_id, in_viewport, tab_to
from cswb.testing.worker import wait_for
from issues import reference, views
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


def test_at_the_limit_the_form_comes_back_with_what_was_typed(page, assert_accessible):
    for _ in range(views.SUBMIT_LIMIT.limit):
        views.SUBMIT_LIMIT.hit("127.0.0.1")
    page.goto("/issues/new/")
    page.get_by_label("What is the issue about?").select_option("housing")
    page.get_by_label("Which municipality does it concern?").select_option(label="Oakville")
    page.get_by_label("Describe the issue").fill("Tents by the creek since the spring flood.")
    page.wait_for_timeout(1200)  # the minimum fill time
    page.get_by_role("button", name="Send the issue").click()
    summary = page.locator("#error-summary")
    assert "call 311" in summary.inner_text()
    assert page.get_by_label("Describe the issue").input_value() == (
        "Tents by the creek since the spring flood."
    )
    assert_accessible(page)


@pytest.mark.parametrize("width", [375, 1280])
def test_a_resident_sends_an_issue_with_the_keyboard_alone(page, assert_accessible, width):
    """Tab, Shift+Tab, Space and Enter, typing, and the arrow key that moves between radio
    buttons: no mouse. A failed submission puts the focus on the error summary, in view."""
    reference.load_signposts()
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/issues/new/")
    page.wait_for_timeout(1100)  # the minimum fill time, shortened for the test
    tab_to(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused_id(page) == "error-summary"
    assert in_viewport(page, "#error-summary")
    assert "There are 3 problems with your answers" in page.locator("#error-summary").inner_text()
    assert_accessible(page)

    # From the summary, the first link leads to the topic.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused_id(page) == "id_topic"
    signposts = page.locator(".issues-signposts-box")
    assert not signposts.is_visible()
    page.keyboard.type("Something")
    assert page.locator("#id_topic").input_value() == "other"
    assert signposts.is_visible()
    assert "Call 311" in signposts.inner_text()
    # The signposts' links come next, then the municipality.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "tel:311"
    tab_to(page, "#id_municipality")
    page.keyboard.type("Milton")
    page.keyboard.press("Tab")
    assert focused_id(page) == "id_description"
    page.keyboard.type("A dog off its leash bit a child at the park on Main Street.")
    assert "Characters left: 3,941 of 4,000." in page.locator("#id_description_count").inner_text()

    # The contact fields appear only once the resident chooses to give them.
    tab_to(page, "#id_contact_0")
    assert not page.locator("#contact-details").is_visible()
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_contact_1").is_checked()
    assert page.locator("#contact-details").is_visible()
    page.keyboard.press("Tab")
    assert focused_id(page) == "id_name"
    page.keyboard.type("Morgan Resident")
    page.keyboard.press("Tab")
    page.keyboard.type("morgan@example.org")
    tab_to(page, "#id_consent_to_contact")
    page.keyboard.press("Space")
    assert page.locator("#id_consent_to_contact").is_checked()
    # Back up one field and forward again, as people do.
    page.keyboard.press("Shift+Tab")
    assert focused_id(page) == "id_phone"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    page.wait_for_url("**/issues/received/**")
    issue = Issue.objects.get()
    assert (issue.topic, issue.municipality.name, issue.email) == (
        "other", "Milton", "morgan@example.org"
    )
    assert "A dog bite or an animal attack" in page.locator("main").inner_text()
    assert_accessible(page)


def test_pasted_text_over_the_limit_is_counted_and_kept_whole(page):
    page.goto("/issues/new/")
    page.wait_for_timeout(1100)
    page.locator("#id_description").focus()
    text = " ".join(["The shelter turned people away again tonight."] * 90)  # 4,139 characters
    page.keyboard.insert_text(text)
    count = page.locator("#id_description_count")
    assert "Too many characters: 139 over the limit of 4,000." in count.inner_text()
    assert page.locator("#id_description").input_value() == text
    with page.expect_navigation():
        page.get_by_role("button", name="Send the issue").click()
    summary = page.locator("#error-summary").inner_text()
    assert "The description has 4,139 characters; the most is 4,000. Shorten it by 139." in summary
    assert page.locator("#id_description").input_value() == text
    assert Issue.objects.count() == 0


@pytest.mark.parametrize("width", [375, 1280])
def test_the_follow_page_and_the_lost_link_pages_are_accessible(
    page, assert_accessible, width, triage_user, homelessness_table
):
    from issues import services
    from issues.tests.factories import IssueFactory

    homelessness_table.status = homelessness_table.Status.ACTIVE
    homelessness_table.save()
    issue = IssueFactory(named=True)
    services.issue_transition(
        issue=issue, name="refer", by=triage_user, action_table=homelessness_table
    )
    services.issue_transition(
        issue=issue, name="respond", by=triage_user, response="Outreach visits this week."
    )
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(issue.get_absolute_url())
    timeline = page.locator(".issues-timeline").inner_text()
    assert "Referred to an action table: Homelessness Action Table" in timeline
    assert "Outreach visits this week." in timeline
    assert_accessible(page)

    page.goto("/issues/follow/not-a-link/")
    assert page.locator("h1").inner_text() == "This link does not work"
    assert_accessible(page)
    page.wait_for_timeout(1100)
    tab_to(page, "#id_email")
    page.keyboard.type("not an address")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused_id(page) == "error-summary"
    assert_accessible(page)
    page.locator("#id_email").fill(issue.email)
    page.wait_for_timeout(1100)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Check your email"
    assert_accessible(page)
    assert follow_link_in(wait_for(lambda: mail.outbox and mail.outbox[-1].body,
                                   what="the link email")) == issue
