"""Two-step staff sign-in: a password, then a second factor."""

import secrets

from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_KEY = "signin_pending_user"
PENDING_BACKEND_KEY = "signin_pending_backend"


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def unconfirmed_totp(user) -> TOTPDevice:
    """Return the user's authenticator being set up, creating it on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def verify_second_factor(user, code: str):
    """Return the device that accepts ``code`` (TOTP or an unused recovery code), or None.

    A recovery code is deleted as it is used, so each works once.
    """
    device = confirmed_totp(user)
    if device and code.isdigit() and device.verify_token(code):
        return device
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(code):
            return static
    return None


@transaction.atomic
def recovery_codes_issue(*, user) -> list[str]:
    """Replace the user's recovery codes with new ones and return them (shown once)."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def totp_confirm(*, device: TOTPDevice, code: str) -> bool:
    """Confirm a new authenticator when ``code`` matches it; return whether it did."""
    if not device.verify_token(code):
        return False
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


def signin_complete(request, *, user, backend: str, device=None) -> None:
    """Log the user in, marking the session verified when a second factor was given."""
    request.session.pop(PENDING_KEY, None)
    request.session.pop(PENDING_BACKEND_KEY, None)
    login(request, user, backend=backend)
    if device is not None:
        otp_login(request, device)
