import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "url", ["/", "/privacy/", "/accessibility/", "/contact/", "/no-such-page/"]
)
def test_base_layout_pages_pass_the_accessibility_check(page, assert_accessible, url):
    page.goto(url)
    assert page.locator("h1").count() == 1
    assert_accessible(page)


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
