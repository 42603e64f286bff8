import re

import pytest

from cswb.testing.browser import tab_to

pytestmark = pytest.mark.browser


def test_a_keyboard_user_can_skip_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_menu_reaches_the_four_public_areas_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    page.get_by_role("button", name="Show or hide the menu").click()
    page.get_by_role("link", name="Bring an issue forward").first.click()
    page.wait_for_url("**/issues/new/")
    assert page.locator("h1").inner_text() == "Bring an issue forward"


def test_without_javascript_the_phone_menu_is_open(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 320, "height": 700}
    )
    page = context.new_page()
    page.goto("/")
    assert not page.get_by_role("button", name="Show or hide the menu").is_visible()
    menu = page.get_by_role("navigation", name="Main")
    for name in ["Action tables", "Dashboard", "Grants", "Bring an issue forward"]:
        assert menu.get_by_role("link", name=name).is_visible()
    context.close()


def test_a_wide_table_at_320_px_is_a_named_region_the_keyboard_scrolls(page):
    from grants.tests.factories import AwardFactory

    award = AwardFactory()
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(f"/grants/funded/{award.application.round.funding_year}/")
    region = page.get_by_role("region", name=re.compile("Funded programs listed"))
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # wider than the phone
    assert page.get_by_text("Wider than your screen").is_visible()
    tab_to(page, ".table-scroll")
    assert region.evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => document.activeElement.scrollLeft === 0")
    # Nothing else on the page scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
