"""Staff sign-in: password first, then an authenticator code or a recovery code."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from cswb.accounts import services
from cswb.accounts.forms import CodeForm, SetupForm


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
            request.session[services.PENDING_KEY] = user.pk
            request.session[services.PENDING_BACKEND_KEY] = user.backend
            step = "verify" if services.confirmed_totp(user) else "setup"
            return redirect(f"{reverse(f'accounts:{step}')}?{urlencode({'next': next_url})}")
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def verify(request):
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    next_url = _next_url(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verify_second_factor(user, form.cleaned_data["code"])
        if device is not None:
            backend = request.session[services.PENDING_BACKEND_KEY]
            services.signin_complete(request, user=user, backend=backend, device=device)
            return redirect(next_url)
        # Count the wrong code like a wrong password, so django-axes locks out guessing.
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        if getattr(request, "axes_locked_out", False):
            request.session.flush()
            return render(request, "accounts/locked_out.html", status=429)
        form.add_error("code", _("That code is not right, or it has expired. Try the next one."))
    return render(request, "accounts/verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def setup(request):
    """Set up an authenticator app for a staff member who has none, then sign them in."""
    user = _pending_user(request)
    if user is None:
        return redirect("accounts:login")
    if services.confirmed_totp(user):
        return redirect("accounts:verify")
    next_url = _next_url(request)
    device = services.unconfirmed_totp(user)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_confirm(device=device, code=form.cleaned_data["code"]):
            backend = request.session[services.PENDING_BACKEND_KEY]
            codes = services.recovery_codes_issue(user=user)
            services.signin_complete(request, user=user, backend=backend, device=device)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url}
            )
        form.add_error("code", _("That code does not match. Check the key and try again."))
    return render(
        request,
        "accounts/setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": _qr_svg(device),
            "secret": _grouped_secret(device),
        },
    )


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
