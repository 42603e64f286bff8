"""Staff accounts: invitations, enrolment links, and the two-step sign-in.

How a staff member gets in
    An administrator invites a colleague by name, email address and roles (``user_invite``); the
    account has no usable password. ``enrolment_send`` emails the owner a one-time link that
    works for ``ENROLMENT_LIFETIME`` (72 hours); on it they choose their password and add an
    authenticator app (``enrolment_complete``), and are shown ten recovery codes once. Knowing
    an account's password is never enough to add a second factor: signing in with a password
    to an account that has none only says to use the link. A new link replaces any unused one.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import permissions
from cswb.accounts.models import Enrolment
from cswb.lib.links import LIFETIMES
from cswb.outbox.services import message_queue

PENDING_KEY = "signin_pending_user"
PENDING_BACKEND_KEY = "signin_pending_backend"
ENROLMENT_LIFETIME = timedelta(seconds=LIFETIMES["accounts.enrolment"])
SIGNIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


# Invitations and enrolment links -------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:enrol", args=[token])


@transaction.atomic
def user_invite(*, first_name: str, last_name: str, email: str, roles, by) -> "User":  # noqa: F821
    """Create a staff account for a colleague and email them an enrolment link.

    The username is the email address. Nobody chooses the password but its owner, on the link.
    Raise ``PermissionDenied`` unless ``by`` may manage accounts, ``ValidationError`` when an
    account already uses the address.
    """
    if not permissions.can_manage_users(by):
        raise PermissionDenied(_("Only CSWB administrators invite colleagues."))
    User = get_user_model()
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(
        username__iexact=email
    ).exists():
        raise ValidationError(
            _("An account already uses %(email)s."), code="email_taken", params={"email": email}
        )
    user = User(
        username=email,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        is_staff=True,
    )
    user.set_unusable_password()
    user.save()
    user.groups.set(Group.objects.filter(name__in=[str(role) for role in roles]))
    enrolment_send(user=user, by=by)
    return user


@transaction.atomic
def enrolment_send(*, user, by=None, now=None) -> Enrolment:
    """Email ``user`` a new one-time enrolment link; their earlier unused links stop working.

    ``by`` is the administrator who asked (None from a terminal command).
    """
    if by is not None and not permissions.can_manage_users(by):
        raise PermissionDenied(_("Only CSWB administrators send enrolment links."))
    if not user.email:
        raise ValidationError(
            _("%(user)s has no email address to send the link to."),
            code="no_email",
            params={"user": user.get_username()},
        )
    now = now or timezone.now()
    Enrolment.objects.usable(now).filter(user=user).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    enrolment = Enrolment.objects.create(
        user=user,
        token_hash=_token_hash(token),
        created_by=by,
        created_at=now,
        expires_at=now + ENROLMENT_LIFETIME,
    )
    message_queue(
        to=user.email,
        template="accounts-enrolment",
        context={
            "name": user.get_full_name() or user.get_username(),
            "username": user.get_username(),
            "link": enrolment_url(token),
            "expires_at": enrolment.expires_at,
            "hours": int(ENROLMENT_LIFETIME.total_seconds() // 3600),
        },
        kind="accounts.enrolment",
    )
    return enrolment


def enrolment_find(token: str, *, now=None) -> Enrolment | None:
    """Return the usable enrolment behind ``token`` (one query), or None."""
    return (
        Enrolment.objects.usable(now)
        .select_related("user")
        .filter(token_hash=_token_hash(token), user__is_active=True, user__is_staff=True)
        .first()
    )


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment, password: str, code: str, now=None):
    """Set the password and confirm the new authenticator with ``code``; use up the link.

    Return a ``CodeCheck``: with the recovery codes (shown once) on success, or how long to wait
    when the app's codes are being throttled. Raise ``ValidationError`` when the link was used,
    replaced or has expired meanwhile.
    """
    now = now or timezone.now()
    locked = Enrolment.objects.select_for_update().select_related("user").get(pk=enrolment.pk)
    if locked.used_at or locked.revoked_at or locked.expires_at <= now:
        raise ValidationError(_("This enrolment link no longer works."), code="link_used")
    user = locked.user
    device = unconfirmed_totp(user)
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(retry_after=_seconds_until((info or {}).get("locked_until"), now))
    if not totp_confirm(device=device, code=code):
        return CodeCheck()
    user.set_password(password)
    user.save(update_fields=["password"])
    locked.used_at = now
    locked.save(update_fields=["used_at"])
    return CodeCheck(device=device, recovery_codes=recovery_codes_issue(user=user))


# Second factor -------------------------------------------------------------------------------


@dataclass
class CodeCheck:
    """What checking a code found: the device that accepted it, or a wait before the next."""

    device: object = None
    retry_after: int = 0
    recovery_codes: list | None = None


def _seconds_until(moment, now=None) -> int:
    if moment is None:
        return 1
    return max(1, math.ceil((moment - (now or timezone.now())).total_seconds()))


def is_enrolled(user) -> bool:
    return confirmed_totp(user) is not None


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def unconfirmed_totp(user) -> TOTPDevice:
    """Return the user's authenticator being set up, creating it on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def verify_second_factor(user, code: str) -> CodeCheck:
    """Check ``code``: a 6-digit code against the authenticator, anything else against the
    recovery codes (each works once: it is deleted as it is used).

    A device that failed just before refuses to check for a while (django-otp's throttling:
    1, 2, 4 ... seconds); when every device that could take the code is waiting, return how
    long, so the caller neither checks nor counts the attempt as a failure.
    """
    totp = confirmed_totp(user)
    if totp and code.isdigit() and len(code) == totp.digits:
        candidates = [totp]
    else:
        candidates = list(StaticDevice.objects.filter(user=user, confirmed=True))
    now = timezone.now()
    waits, checked = [], False
    for device in candidates:
        allowed, info = device.verify_is_allowed()
        if not allowed:
            waits.append(_seconds_until((info or {}).get("locked_until"), now))
            continue
        checked = True
        if device.verify_token(code):
            return CodeCheck(device=device)
    # A code that was checked and is wrong is a failure, even if another device was waiting.
    return CodeCheck(retry_after=0 if checked or not waits else max(waits))


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
