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
