"""Staff sign-in (password, then an authenticator or recovery code) and enrolment links."""

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import services
from cswb.accounts.forms import CodeForm, EnrolForm


def _next_url(request) -> str:
    """Return where to go after sign-in: ``next`` if it stays on this site, else the admin."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _pending_user(request):
    user_id = request.session.get(services.PENDING_KEY)
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True, is_staff=True).first()


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request):
    next_url = _next_url(request)
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if not user.is_staff:
            form.add_error(None, _("This sign-in is for staff of the plan's partners only."))
        else:
            request.session.cycle_key()
            if not settings.ADMIN_REQUIRE_2FA:
                services.signin_complete(request, user=user, backend=user.backend)
                return redirect(next_url)
            if not services.is_enrolled(user):
                # A password alone never adds a second factor: that happens only on the
                # one-time link emailed to the account's owner.
                return render(request, "accounts/not_enrolled.html", status=403)
            request.session[services.PENDING_KEY] = user.pk
            request.session[services.PENDING_BACKEND_KEY] = user.backend
            return redirect(f"{reverse('accounts:verify')}?{urlencode({'next': next_url})}")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _locked_out(request, user) -> bool:
    """Return True when django-axes holds sign-in for this name from this address."""
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    return not AxesProxyHandler.is_allowed(request, {"username": user.get_username()})


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Wait %(seconds)d second before trying a code again: each wrong code makes the wait "
        "longer. Nothing has been counted against you.",
        "Wait %(seconds)d seconds before trying a code again: each wrong code makes the wait "
        "longer. Nothing has been counted against you.",
        seconds,
    ) % {"seconds": seconds}


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def verify(request):
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    next_url = _next_url(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if _locked_out(request, user):
            request.session.flush()
            return render(request, "accounts/locked_out.html", status=429)
        check = services.verify_second_factor(user, form.cleaned_data["code"])
        if check.device is not None:
            backend = request.session[services.PENDING_BACKEND_KEY]
            services.signin_complete(request, user=user, backend=backend, device=check.device)
            return redirect(next_url)
        if check.retry_after:
            form.add_error("code", _wait_message(check.retry_after))
            status = 429
        else:
            # Count the wrong code like a wrong password, so django-axes locks out guessing.
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=request
            )
            if getattr(request, "axes_locked_out", False):
                request.session.flush()
                return render(request, "accounts/locked_out.html", status=429)
            form.add_error(
                "code", _("That code is not right, or it has expired. Try the next one.")
            )
    response = render(
        request, "accounts/verify.html", {"form": form, "next": next_url}, status=status
    )
    if status == 429:
        response["Retry-After"] = str(check.retry_after)
    return response


@sensitive_post_parameters("new_password1", "new_password2", "code")
@csrf_protect
@never_cache
def enrol(request, token):
    """Choose a password and add an authenticator app through a one-time emailed link."""
    enrolment = services.enrolment_find(token)
    if enrolment is None:
        return _private(render(request, "accounts/enrol_invalid.html", status=404))
    user = enrolment.user
    device = services.unconfirmed_totp(user)
    form = EnrolForm(user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check = services.enrolment_complete(
                enrolment=enrolment,
                password=form.cleaned_data["new_password1"],
                code=form.cleaned_data["code"],
            )
        except ValidationError:
            return _private(render(request, "accounts/enrol_invalid.html", status=404))
        if check.device is not None:
            if request.user.is_authenticated:
                logout(request)
            request.session.cycle_key()
            user.refresh_from_db()
            services.signin_complete(
                request, user=user, backend=services.SIGNIN_BACKEND, device=check.device
            )
            return _private(render(
                request,
                "accounts/recovery_codes.html",
                {"codes": check.recovery_codes, "next": reverse("admin:index")},
            ))
        if check.retry_after:
            form.add_error("code", _wait_message(check.retry_after))
            status = 429
        else:
            form.add_error(
                "code", _("That code does not match. Check the key and try again.")
            )
    return _private(render(
        request,
        "accounts/enrol.html",
        {
            "enrolment": enrolment,
            "form": form,
            "qr_svg": _qr_svg(device),
            "secret": _grouped_secret(device),
        },
        status=status,
    ))


def _private(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _qr_svg(device: TOTPDevice) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, title=_("QR code for your authenticator app")
    )


def _grouped_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("home")
