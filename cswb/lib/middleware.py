"""Request limits applied before any view reads the body, and the session's absolute lifetime."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import render

SIGNED_IN_AT = "signed_in_at"


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than MAX_REQUEST_BYTES with a 413 page.

    Django would otherwise stream a huge upload to disk before a form could refuse it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit_mb = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            return render(request, "413.html", {"limit_mb": limit_mb}, status=413)
        return self.get_response(request)


def mark_signed_in(sender, request, user, **kwargs):
    """Record when the session signed in (``user_logged_in``), for ``SessionLifetimeMiddleware``."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = time.time()


class SessionLifetimeMiddleware:
    """End a signed-in session ``SESSION_ABSOLUTE_AGE`` seconds after sign-in, however active.

    ``SESSION_COOKIE_AGE`` ends an idle session; this ends a busy one too, so a stolen session
    cookie or an unlocked computer left signed in is good for one working day at most. A session
    signed in before this existed counts from its first request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT)
            if signed_in_at is None:
                request.session[SIGNED_IN_AT] = time.time()
            elif time.time() - signed_in_at > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
        return self.get_response(request)
