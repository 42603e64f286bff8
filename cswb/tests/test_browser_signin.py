"""Staff enrolment and sign-in in a real browser, with codes computed from the key the page
shows, as an authenticator app would."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import services
from cswb.accounts.roles import Role
from cswb.outbox.models import Message

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


def _code(key: bytes, *, later: int = 0) -> str:
    return f"{totp(key, drift=later):06d}"


def _enrolment_path(email: str) -> str:
    message = Message.objects.filter(kind="accounts.enrolment", to_email=email).latest("pk")
    return re.search(r"https?://[^/\s]+(/staff/enrol/[^/\s]+/)", message.body_text).group(1)


def _enrol(page, email: str, password: str, check=None) -> bytes:
    """Open the emailed link, choose the password, add the app; return the app's key."""
    page.goto(_enrolment_path(email))
    assert page.locator("h1").inner_text() == "Set up your staff account"
    if check:
        check(page)
    key = b32decode(page.locator("#totp-key").inner_text().replace(" ", ""))
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.get_by_label("Code from your app").fill(_code(key))
    page.get_by_role("button", name="Confirm and sign in").click()
    assert page.locator("h1").inner_text() == "Your recovery codes"
    assert page.locator(".recovery-codes li").count() == 10
    if check:
        check(page)
    return key


def _sign_in(page, username: str, password: str, key: bytes, check=None):
    page.context.clear_cookies()
    page.goto("/admin/")
    assert page.locator("h1").inner_text() == "Staff sign-in"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/sign-in/code/**")
    if check:
        check(page)
    # The enrolment used this time step's code; an app shows the next one 30 s later.
    page.get_by_label("Code").fill(_code(key, later=1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    assert "Run the plan" in page.locator("h1").inner_text()


def test_every_role_is_invited_enrols_on_its_link_and_signs_in_with_a_real_code(
    page, cswb_admin, settings, assert_accessible
):
    settings.ADMIN_REQUIRE_2FA = True
    others = [role for role in Role if role != Role.ADMINISTRATOR]
    # Everything this test writes itself comes first: with SQLite the live server shares the
    # test's connection, and must not be answering a request meanwhile.
    # The first administrator's link comes from `manage.py send_enrolment_link`; the first
    # colleague is invited below through the admin's form, the others the same way in code.
    services.enrolment_send(user=cswb_admin)
    for number, role in enumerate(others[1:], start=1):
        services.user_invite(first_name="Colleague", last_name=str(number),
                             email=f"colleague{number}@example.org", roles=[role], by=cswb_admin)
    admin_key = _enrol(page, cswb_admin.email, "the administrator's own passphrase",
                       check=assert_accessible)
    _sign_in(page, cswb_admin.username, "the administrator's own passphrase", admin_key,
             check=assert_accessible)

    for number, role in enumerate(others[:1]):
        page.goto("/admin/accounts/user/add/")
        assert page.locator('input[type="password"]').count() == 0
        page.get_by_label("First name").fill("Colleague")
        page.get_by_label("Last name").fill(str(number))
        page.get_by_label("Email address").fill(f"colleague{number}@example.org")
        page.get_by_label(str(role.label), exact=True).check()
        page.get_by_role("button", name="Send the invitation").click()
        page.wait_for_url("**/admin/accounts/user/")
        assert "is invited" in page.locator(".messagelist").inner_text()

    for number, role in enumerate(others):
        email = f"colleague{number}@example.org"
        page.context.clear_cookies()
        password = f"{role.value} passphrase {number}"
        key = _enrol(page, email, password)
        _sign_in(page, email, password, key)
        user = TOTPDevice.objects.get(user__email=email, confirmed=True).user
        assert user.role_names() == {role.value}
