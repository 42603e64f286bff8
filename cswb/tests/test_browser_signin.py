import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.browser


def _code(device):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_a_staff_member_signs_in_with_a_totp_code(page, cswb_admin, settings, assert_accessible):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=cswb_admin, name="phone", confirmed=True)
    page.goto("/admin/")
    assert page.locator("h1").inner_text() == "Staff sign-in"
    assert_accessible(page)
    page.get_by_label("Username").fill(cswb_admin.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/sign-in/code/**")
    assert_accessible(page)
    page.get_by_label("Code").fill(_code(device))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    assert "Run the plan" in page.locator("h1").inner_text()


def test_a_new_staff_member_sets_up_the_app_in_the_browser(page, cswb_admin, settings,
                                                           assert_accessible):
    settings.ADMIN_REQUIRE_2FA = True
    page.goto("/staff/sign-in/")
    page.get_by_label("Username").fill(cswb_admin.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/sign-in/set-up/**")
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=cswb_admin, confirmed=False)
    page.get_by_label("Code from your app").fill(_code(device))
    page.get_by_role("button", name="Confirm and sign in").click()
    assert page.locator("h1").inner_text() == "Your recovery codes"
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page)
