import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import services

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _require_2fa(settings):
    settings.ADMIN_REQUIRE_2FA = True


def _code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


@pytest.fixture
def enrolled(cswb_admin):
    device = TOTPDevice.objects.create(user=cswb_admin, name="phone", confirmed=True)
    return cswb_admin, device


def _password_step(client, user, next_url="/admin/"):
    return client.post(
        "/staff/sign-in/", {"username": user.username, "password": PASSWORD, "next": next_url}
    )


def test_it_asks_for_a_code_after_the_password(client, enrolled):
    user, device = enrolled
    response = _password_step(client, user)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in/code/")
    assert SESSION_KEY not in client.session


def test_it_signs_in_with_password_and_code(client, enrolled):
    user, device = enrolled
    _password_step(client, user)
    response = client.post("/staff/sign-in/code/", {"code": _code(device), "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.get("/admin/").status_code == 200


def test_it_refuses_a_wrong_code(client, enrolled):
    user, device = enrolled
    _password_step(client, user)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/staff/sign-in/code/", {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_it_refuses_the_code_step_without_a_password(client, enrolled):
    user, device = enrolled
    response = client.post("/staff/sign-in/code/", {"code": _code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/staff/sign-in/"
    assert SESSION_KEY not in client.session


def test_a_recovery_code_works_once(client, enrolled):
    user, device = enrolled
    codes = services.recovery_codes_issue(user=user)
    assert len(codes) == 10 and len(set(codes)) == 10
    _password_step(client, user)
    response = client.post("/staff/sign-in/code/", {"code": codes[0]})
    assert response.status_code == 302
    client.logout()
    _password_step(client, user)
    response = client.post("/staff/sign-in/code/", {"code": codes[0]})
    assert response.status_code == 200
    assert StaticToken.objects.filter(token=codes[0]).count() == 0


def test_a_new_staff_member_sets_up_an_app_then_gets_recovery_codes(client, cswb_admin):
    response = _password_step(client, cswb_admin)
    assert response["Location"].startswith("/staff/sign-in/set-up/")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html and 'id="totp-key"' in html
    device = TOTPDevice.objects.get(user=cswb_admin, confirmed=False)
    response = client.post("/staff/sign-in/set-up/", {"code": _code(device), "next": "/admin/"})
    assert response.status_code == 200
    assert "Your recovery codes" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=cswb_admin).count() == 10
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_a_session_without_a_second_factor(client, cswb_admin):
    client.force_login(cswb_admin)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/staff/sign-in/?next=%2Fadmin%2F"
    assert "Staff sign-in" in response.content.decode()


def test_it_refuses_residents_accounts(client, django_user_model):
    django_user_model.objects.create_user("resident", password=PASSWORD)
    response = client.post("/staff/sign-in/", {"username": "resident", "password": PASSWORD})
    assert response.status_code == 200
    assert "This sign-in is for staff" in response.content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com/", "javascript:alert(1)"]
)
def test_it_never_redirects_off_site(client, enrolled, target):
    user, device = enrolled
    _password_step(client, user, next_url=target)
    response = client.post("/staff/sign-in/code/", {"code": _code(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_it_locks_the_account_after_repeated_failures(client, enrolled, settings):
    settings.AXES_ENABLED = True
    user, device = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/staff/sign-in/", {"username": user.username, "password": "nope"})
    response = _password_step(client, user)
    assert response.status_code == 429
    assert "Sign-in is locked for a while" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_the_lock_out_also_holds_against_another_account_from_that_address(
    client, enrolled, make_staff, settings
):
    settings.AXES_ENABLED = True
    other = make_staff("second-admin")
    user, device = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/staff/sign-in/", {"username": user.username, "password": "nope"})
    response = _password_step(client, other)
    assert response.status_code == 429


def test_the_lock_out_ends_after_the_cool_off(client, enrolled, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.AXES_ENABLED = True
    user, device = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/staff/sign-in/", {"username": user.username, "password": "nope"})
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1))
    assert _password_step(client, user).status_code == 302


def test_sessions_end_after_inactivity(settings):
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_it_signs_out_on_post_only(client, cswb_admin):
    client.force_login(cswb_admin)
    assert client.get("/staff/sign-out/").status_code == 405
    assert client.post("/staff/sign-out/").status_code == 302
    assert SESSION_KEY not in client.session
