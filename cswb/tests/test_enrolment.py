"""Enrolment: only through a one-time link emailed to the account's owner; invitations by name,
email and roles; nobody chooses a colleague's password."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import services
from cswb.accounts.models import Enrolment
from cswb.accounts.roles import Role
from cswb.outbox.models import Message

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long new passphrase of mine"


@pytest.fixture
def two_factor(settings):
    settings.ADMIN_REQUIRE_2FA = True


def _code(device: TOTPDevice, *, later: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 drift=later)
    return f"{value:06d}"


def _link_in(message: Message) -> str:
    match = re.search(r"https?://[^/\s]+(/staff/enrol/[^/\s]+/)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def _enrol(client, path, *, password=NEW_PASSWORD, code=None):
    page = client.get(path)
    assert page.status_code == 200, page.content
    device = TOTPDevice.objects.get(user=page.context["enrolment"].user, confirmed=False)
    return client.post(path, {
        "new_password1": password,
        "new_password2": password,
        "code": code or _code(device),
    }), device


def test_a_password_alone_never_enrols_an_account(client, cswb_admin, two_factor):
    response = client.post(
        "/staff/sign-in/", {"username": cswb_admin.username, "password": PASSWORD}
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "enrolment link emailed to the account's owner" in html
    assert 'id="totp-key"' not in html and "<svg" not in html
    assert not TOTPDevice.objects.filter(user=cswb_admin).exists()
    assert SESSION_KEY not in client.session
    assert client.get("/staff/sign-in/set-up/").status_code == 404


def test_an_administrator_invites_a_colleague_by_name_email_and_roles(client, cswb_admin,
                                                                     django_user_model):
    client.force_login(cswb_admin)
    page = client.get(reverse("admin:accounts_user_add"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'type="password"' not in html and "password" not in page.context["form"].fields
    response = client.post(reverse("admin:accounts_user_add"), {
        "first_name": "Gina", "last_name": "Grant", "email": "Gina.Grant@Example.org",
        "roles": [Role.GRANT_STAFF.value, Role.GRANT_REVIEWER.value],
    })
    assert response.status_code == 302
    user = django_user_model.objects.get(email="gina.grant@example.org")
    assert user.username == "gina.grant@example.org"
    assert user.is_staff and not user.has_usable_password()
    assert user.role_names() == {Role.GRANT_STAFF.value, Role.GRANT_REVIEWER.value}
    enrolment = Enrolment.objects.get(user=user)
    assert enrolment.created_by == cswb_admin
    assert enrolment.expires_at - enrolment.created_at == timedelta(hours=72)
    message = Message.objects.get(kind="accounts.enrolment")
    assert message.to_email == "gina.grant@example.org"
    assert _link_in(message).startswith("/staff/enrol/")
    assert enrolment.token_hash not in message.body_text


def test_an_invitation_to_an_address_in_use_is_refused(client, cswb_admin, grant_staff_user):
    client.force_login(cswb_admin)
    response = client.post(reverse("admin:accounts_user_add"), {
        "first_name": "G", "last_name": "G", "email": grant_staff_user.email.upper(),
    })
    assert response.status_code == 200
    assert "already uses" in response.content.decode()
    assert not Enrolment.objects.exists()


def test_only_administrators_invite(client, triage_user, outsider_user):
    for user in (triage_user, outsider_user):
        client.force_login(user)
        assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    with pytest.raises(Exception, match="administrators"):
        services.user_invite(first_name="a", last_name="b", email="x@example.org", roles=[],
                             by=triage_user)


def test_the_owner_enrols_on_the_link_and_is_signed_in_with_a_second_factor(
    client, cswb_admin, two_factor
):
    services.user_invite(first_name="Tess", last_name="Triage", email="tess@example.org",
                         roles=[Role.ISSUE_TRIAGE], by=cswb_admin)
    path = _link_in(Message.objects.get(kind="accounts.enrolment"))
    page = client.get(path)
    assert 'id="totp-key"' in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    response, device = _enrol(client, path)
    assert response.status_code == 200
    assert "Your recovery codes" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=device.user).count() == 10
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/issues/issue/").status_code == 200
    device.user.refresh_from_db()
    assert device.user.check_password(NEW_PASSWORD)
    # One time only.
    client.logout()
    assert client.get(path).status_code == 404
    # The password and a fresh code now sign in.
    client.post("/staff/sign-in/", {"username": "tess@example.org", "password": NEW_PASSWORD})
    response = client.post("/staff/sign-in/code/", {"code": _code(device, later=1),
                                                    "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_a_wrong_code_or_weak_password_keeps_the_link(client, cswb_admin, two_factor):
    enrolment = services.enrolment_send(user=cswb_admin)
    path = _link_in(Message.objects.get(kind="accounts.enrolment"))
    response, device = _enrol(client, path, password="short")
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response, device = _enrol(client, path, code=wrong)
    assert "does not match" in response.content.decode()
    enrolment.refresh_from_db()
    assert enrolment.used_at is None
    assert not TOTPDevice.objects.filter(user=cswb_admin, confirmed=True).exists()
    assert SESSION_KEY not in client.session


def test_the_link_expires_after_72_hours(client, cswb_admin):
    services.enrolment_send(user=cswb_admin, now=timezone.now() - timedelta(hours=72, seconds=1))
    path = _link_in(Message.objects.get(kind="accounts.enrolment"))
    response = client.get(path)
    assert response.status_code == 404
    assert "This link no longer works" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cswb_admin).exists()


def test_a_new_link_replaces_the_old_one(client, cswb_admin):
    services.enrolment_send(user=cswb_admin)
    services.enrolment_send(user=cswb_admin)
    first, second = Message.objects.filter(kind="accounts.enrolment").order_by("pk")
    assert client.get(_link_in(first)).status_code == 404
    assert client.get(_link_in(second)).status_code == 200


def test_a_tampered_link_opens_nothing(client, cswb_admin):
    services.enrolment_send(user=cswb_admin)
    path = _link_in(Message.objects.get(kind="accounts.enrolment"))
    assert client.get(path[:-3] + "xx/").status_code == 404


def test_administrators_can_no_longer_set_a_colleagues_password(client, cswb_admin,
                                                               outsider_user):
    client.force_login(cswb_admin)
    url = f"/admin/accounts/user/{outsider_user.pk}/password/"
    page = client.get(url, follow=True).content.decode()
    assert 'type="password"' not in page
    password = outsider_user.password
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    outsider_user.refresh_from_db()
    assert outsider_user.password == password
    change = client.get(f"/admin/accounts/user/{outsider_user.pk}/change/").content.decode()
    assert "password/" not in change and 'name="password"' not in change


def test_the_user_list_shows_who_has_not_enrolled(client, cswb_admin, outsider_user):
    TOTPDevice.objects.create(user=cswb_admin, name="phone", confirmed=True)
    client.force_login(cswb_admin)
    response = client.get("/admin/accounts/user/", {"enrolled": "no"})
    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {outsider_user.username}


def test_an_administrator_sends_a_new_enrolment_link_from_the_list(client, cswb_admin,
                                                                   outsider_user):
    client.force_login(cswb_admin)
    response = client.post("/admin/accounts/user/", {
        "action": "send_enrolment_link", "_selected_action": [outsider_user.pk],
    })
    assert response.status_code == 302
    message = Message.objects.get(kind="accounts.enrolment")
    assert message.to_email == outsider_user.email
    assert Enrolment.objects.get().created_by == cswb_admin


def test_the_command_emails_the_first_administrator_a_link(django_user_model, capsys):
    django_user_model.objects.create_superuser("first", "first@example.org", None)
    call_command("send_enrolment_link", "first")
    assert "first@example.org" in capsys.readouterr().out
    assert Message.objects.get(kind="accounts.enrolment").to_email == "first@example.org"


def test_totp_secrets_are_never_shown_in_the_admin(client, cswb_admin):
    device = TOTPDevice.objects.create(user=cswb_admin, name="phone", confirmed=True)
    codes = services.recovery_codes_issue(user=cswb_admin)
    static = StaticToken.objects.first().device
    client.force_login(cswb_admin)
    pages = [
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        f"/admin/otp_totp/totpdevice/{device.pk}/config/",
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
        "/admin/otp_static/staticdevice/",
        f"/admin/otp_static/staticdevice/{static.pk}/change/",
        "/admin/otp_totp/totpdevice/add/",
    ]
    for url in pages:
        html = client.get(url, follow=True).content.decode()
        assert device.key not in html, url
        assert "otpauth://" not in html, url
        assert not any(code in html for code in codes), url


def test_a_link_that_cannot_be_sent_is_reported_as_an_error_naming_the_person(
    client, cswb_admin, outsider_user, make_staff
):
    nomail = make_staff("no-mail", email="")
    client.force_login(cswb_admin)
    response = client.post("/admin/accounts/user/", {
        "action": "send_enrolment_link", "_selected_action": [outsider_user.pk, nomail.pk],
    }, follow=True)
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert ("success", "1 enrolment link sent.") in shown
    assert ("error", "No link was sent to no-mail: no email address.") in shown
    assert Message.objects.get(kind="accounts.enrolment").to_email == outsider_user.email


def test_the_enrolment_page_says_until_when_in_toronto_time_without_a_doubled_period(
    client, cswb_admin
):
    services.user_invite(first_name="Tess", last_name="Triage", email="tess@example.org",
                         roles=[Role.ISSUE_TRIAGE], by=cswb_admin)
    html = client.get(_link_in(Message.objects.get(kind="accounts.enrolment"))).content.decode()
    sentence = re.search(r"This link works once, until [^<]*</p>", html).group(0)
    # The date ends in "a.m." or "p.m.": a period after it would be read twice.
    assert sentence.endswith(" (Toronto time).</p>") and ".." not in sentence, sentence
