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


@pytest.fixture
def colleague(make_staff):
    """A second enrolled member of staff."""
    user = make_staff("second-admin")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


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


def test_the_code_field_lets_a_phone_type_the_letters_of_a_recovery_code(client, enrolled):
    import re

    user, device = enrolled
    codes = services.recovery_codes_issue(user=user)
    # Recovery codes have letters; a numeric keypad (inputmode="numeric") could not type them.
    assert any(not code.isdigit() for code in codes)
    _password_step(client, user)
    field = re.search(r'<input[^>]*name="code"[^>]*>', client.get("/staff/sign-in/code/")
                      .content.decode()).group(0)
    assert 'inputmode="numeric"' not in field and 'autocomplete="one-time-code"' in field


def test_the_sign_in_pages_say_where_to_turn_without_a_password_or_a_phone(client, enrolled):
    user, device = enrolled
    html = client.get("/staff/sign-in/").content.decode()
    assert "Forgotten your password? Ask a CSWB administrator to email you a new set-up" in html
    _password_step(client, user)
    html = client.get("/staff/sign-in/code/").content.decode()
    assert "No phone and no recovery code? Ask a CSWB administrator" in html


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


def _wrong(client, username, address=None):
    extra = {"HTTP_X_FORWARDED_FOR": address} if address else {}
    return client.post("/staff/sign-in/", {"username": username, "password": "nope"}, **extra)


def test_a_colleagues_typos_on_the_same_address_lock_out_nobody_else(
    client, enrolled, colleague, settings
):
    settings.AXES_ENABLED = True
    other = colleague
    user, device = enrolled
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _wrong(client, user.username)
    assert _password_step(client, other).status_code == 302
    assert _password_step(client, user).status_code == 429


def test_wrong_passwords_behind_the_balancer_lock_only_that_name_from_that_address(
    client, enrolled, colleague, settings
):
    """Behind a load balancer every request comes from its address: an attacker's failures,
    even for a name that does not exist, must not lock out staff signing in elsewhere."""
    settings.AXES_ENABLED = True
    settings.TRUST_X_FORWARDED_FOR = True
    user, device = enrolled
    for name in ("nobody-at-all", user.username):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _wrong(client, name, "203.0.113.9")
    here = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for account in (colleague, user):
        response = client.post(
            "/staff/sign-in/",
            {"username": account.username, "password": PASSWORD, "next": "/admin/"},
            **here,
        )
        assert response.status_code == 302, account
        client.cookies.clear()
    response = client.post(
        "/staff/sign-in/", {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert response.status_code == 429


def test_a_forged_forwarded_address_does_not_escape_the_lock_without_a_trusted_balancer(
    client, enrolled, settings
):
    settings.AXES_ENABLED = True
    settings.TRUST_X_FORWARDED_FOR = False
    user, device = enrolled
    for number in range(settings.AXES_FAILURE_LIMIT):
        _wrong(client, user.username, f"192.0.2.{number}")
    response = client.post(
        "/staff/sign-in/", {"username": user.username, "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 429


def test_guessing_one_name_from_many_addresses_locks_it_at_the_higher_per_name_limit(
    client, enrolled, settings
):
    settings.AXES_ENABLED = True
    settings.TRUST_X_FORWARDED_FOR = True
    user, device = enrolled
    per_address = settings.AXES_FAILURE_LIMIT - 1
    addresses = -(-settings.AXES_USERNAME_FAILURE_LIMIT // per_address)
    assert addresses > 1
    failures = 0
    for number in range(addresses):
        for _ in range(per_address):
            if failures == settings.AXES_USERNAME_FAILURE_LIMIT - 1:
                break
            _wrong(client, user.username, f"192.0.2.{number}")
            failures += 1
    fresh = {"HTTP_X_FORWARDED_FOR": "198.51.100.99"}
    ok = client.post("/staff/sign-in/", {"username": user.username, "password": PASSWORD}, **fresh)
    assert ok.status_code == 302, "one failure short of the per-name limit must not lock"
    client.cookies.clear()
    _wrong(client, user.username, "192.0.2.250")
    _wrong(client, user.username, "192.0.2.251")
    locked = client.post(
        "/staff/sign-in/", {"username": user.username, "password": PASSWORD}, **fresh
    )
    assert locked.status_code == 429


def test_a_throttled_code_says_how_long_to_wait_and_is_not_a_failed_sign_in(
    client, enrolled, settings
):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.AXES_ENABLED = True
    user, device = enrolled
    _password_step(client, user)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    client.post("/staff/sign-in/code/", {"code": wrong})
    failures = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert failures == 1
    response = client.post("/staff/sign-in/code/", {"code": _code(device)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    html = response.content.decode()
    assert "Wait" in html and "second" in html
    assert "That code is not right" not in html
    assert SESSION_KEY not in client.session
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == failures
    device.refresh_from_db()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=5)
    )
    response = client.post("/staff/sign-in/code/", {"code": _code(device), "next": "/admin/"})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


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


def test_a_session_ends_at_its_absolute_lifetime_however_active(client, enrolled, settings):
    from datetime import timedelta

    from django.utils import timezone

    user, device = enrolled
    _password_step(client, user)
    client.post("/staff/sign-in/code/", {"code": _code(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200
    session = client.session
    limit = settings.SESSION_ABSOLUTE_AGE
    assert limit <= 12 * 60 * 60
    session["signed_in_at"] = (timezone.now() - timedelta(seconds=limit - 60)).timestamp()
    session.save()
    assert client.get("/admin/").status_code == 200
    session = client.session
    session["signed_in_at"] = (timezone.now() - timedelta(seconds=limit + 1)).timestamp()
    session.save()
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/staff/sign-in/")
    assert SESSION_KEY not in client.session
