"""An applicant completes the grant application with the keyboard alone, in a real browser:
Tab, Shift+Tab, Space, Enter, the arrow keys of a radio group and typing; no mouse. After a
step or a submission is refused, the focus is on the error summary, in view."""

import pytest

from cswb.lib.forms import HumanCheckMixin
from cswb.testing.browser import focused_id, in_viewport, tab_to
from grants import services
from grants.models import Application
from grants.tests.factories import ApplicationFactory, RoundFactory
from grants.workflow import State
from indicators.models import Geography

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_form(monkeypatch):
    # The minimum fill time stays on, shortened to keep the test quick.
    monkeypatch.setattr(HumanCheckMixin, "min_fill_seconds", 1)


def fill(page, selector, text):
    """Tab to the field and type into it."""
    tab_to(page, selector)
    page.keyboard.type(text)


def press_enter_on(page, selector):
    """Tab to a link or button and follow it with Enter."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def save_step(page):
    page.wait_for_timeout(1100)  # the minimum fill time, shortened for the test
    press_enter_on(page, "form.grant-form button[type=submit]")


def heading(page) -> str:
    return " ".join(page.locator("h1").inner_text().split())


def assert_summary_focused(page, words):
    assert focused_id(page) == "error-summary"
    assert in_viewport(page, "#error-summary")
    assert words in page.locator("#error-summary").inner_text()


@pytest.mark.parametrize("width", [375, 1280])
def test_an_applicant_completes_the_application_with_the_keyboard_alone(
    page, assert_accessible, width
):
    round_ = RoundFactory(name="Keyboard intake")
    milton = Geography.objects.get(slug="milton")
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/grants/")
    press_enter_on(page, f'a[href="/grants/apply/{round_.slug}/"]')
    assert heading(page).startswith("Step 1 of 5")
    assert page.locator('.step-progress [aria-current="step"]').inner_text().strip().endswith(
        "Organization")

    # Saving the first step empty is refused: the focus goes to the summary, in view.
    save_step(page)
    assert_summary_focused(page, "There are 3 problems with your answers")
    assert_accessible(page)

    # The summary's first link leads to the field.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused_id(page) == "id_org_legal_name"
    page.keyboard.type("Youth Futures Halton")
    page.keyboard.press("Tab")
    assert focused_id(page) == "id_org_type_0"
    page.keyboard.press("Space")  # the first choice: a non-profit organization
    assert page.locator("#id_org_type_0").is_checked()
    fill(page, "#id_org_address", "1 Main Street, Milton ON")
    tab_to(page, f'input[name=municipalities][value="{milton.pk}"]')
    page.keyboard.press("Space")
    fill(page, "#id_contact_name", "Ada Okafor")
    page.keyboard.press("Tab")
    page.keyboard.type("Director")
    # Back up one field and forward again, as people do.
    page.keyboard.press("Shift+Tab")
    assert focused_id(page) == "id_contact_name"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused_id(page) == "id_contact_email"
    page.keyboard.type("ada@example.org")
    fill(page, "#id_contact_phone", "905-555-0100")
    save_step(page)

    # Step 2: the program.
    assert heading(page).startswith("Step 2 of 5")
    assert "Your draft is saved" in page.locator(".messages").inner_text()
    for field, text in [
        ("program_title", "Mentors after school"),
        ("program_summary", "Weekly mentoring and sport."),
        ("population_served", "Youth 12 to 18 in north Milton."),
        ("age_min", "12"),
        ("age_max", "18"),
        ("risk_factors", "School disengagement."),
        ("protective_factors", "A trusted adult."),
        ("activities", "Mentoring and basketball."),
        ("expected_outcomes", "Better attendance."),
        ("measurement", "Attendance records."),
    ]:
        fill(page, f"#id_{field}", text)
    save_step(page)

    # Step 3: duration, amount and budget. The arrow key moves within the radio group.
    assert heading(page).startswith("Step 3 of 5")
    tab_to(page, "#id_duration_years_0")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_duration_years_1").is_checked()  # two years
    fill(page, "#id_amount_requested", "100000")
    fill(page, "#id_budget_staffing_1", "50000")
    page.keyboard.press("Tab")
    assert focused_id(page) == "id_budget_staffing_2"
    page.keyboard.type("50000")
    save_step(page)

    # Step 4: the declarations, with the privacy notice's link on the way.
    assert heading(page).startswith("Step 4 of 5")
    tab_to(page, 'a[href="/privacy/grants/"]')
    for name in ["declare_accurate", "declare_authority", "declare_privacy", "publish_consent"]:
        tab_to(page, f"#id_{name}")
        page.keyboard.press("Space")
        assert page.locator(f"#id_{name}").is_checked()
    save_step(page)

    # Check the answers, then submit from the keyboard.
    assert heading(page).startswith("Step 5 of 5")
    answers = page.locator("main").inner_text()
    for answer in ["Youth Futures Halton", "Milton", "Mentors after school", "Two years",
                   "$100,000.00", "Budget total: $100,000.00"]:
        assert answer in answers, answer
    assert_accessible(page)
    press_enter_on(page, 'form[action$="/submit/"] button')

    application = Application.objects.get()
    assert application.state == State.SUBMITTED
    assert application.reference in heading(page)
    assert "your application is submitted" in page.locator(".messages").inner_text()
    press_enter_on(page, 'a[href$="/answers/"]')
    assert "Your answers" in heading(page)
    assert "Mentors after school" in page.locator("main").inner_text()
    assert_accessible(page)


@pytest.mark.parametrize("width", [375, 1280])
def test_a_refused_submission_focuses_the_summary_on_the_step_that_lacks_something(
    page, assert_accessible, width
):
    draft = ApplicationFactory(round=RoundFactory(), program_title="", declare_privacy=False)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"/grants/apply/continue/{services.application_token(draft)}/")
    press_enter_on(page, 'form[action$="/submit/"] button')
    assert heading(page).startswith("Step 2 of 5")
    assert_summary_focused(page, "Program title: Fill this in to submit the application.")
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused_id(page) == "id_program_title"
    page.keyboard.type("Mentors after school")
    save_step(page)
    # Saved, back to the check page; submitting again leads to the next problem.
    assert heading(page).startswith("Step 5 of 5")
    press_enter_on(page, 'form[action$="/submit/"] button')
    assert heading(page).startswith("Step 4 of 5")
    assert_summary_focused(page, "Tick this declaration to submit the application.")
    draft.refresh_from_db()
    assert draft.program_title == "Mentors after school" and draft.state == State.DRAFT
