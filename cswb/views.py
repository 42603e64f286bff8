"""Site-wide pages: home, the footer's statements, the health check and the error pages."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from cswb.celery import app as celery_app
from cswb.lib import outage
from cswb.lib.pagecache import public_page

log = logging.getLogger(__name__)


@require_safe
@public_page
def home(request):
    return render(request, "home.html")


@require_safe
def privacy(request):
    return render(request, "pages/privacy.html")


@require_safe
def privacy_grants(request):
    return render(
        request,
        "pages/privacy_grants.html",
        {"privacy_url": reverse("privacy"), "draft_days": settings.GRANTS_DRAFT_EXPIRY_DAYS},
    )


@require_safe
def accessibility(request):
    return render(request, "pages/accessibility.html")


@require_safe
def contact(request):
    return render(request, "pages/contact.html")


@require_safe
def livez(request):
    """Answer as fast as the web process can: liveness for the balancer, baseline for benches."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request):
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# A health check must answer the load balancer within a second, whatever is down or frozen.
BROKER_PING_TIMEOUT = 0.3


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    ping = getattr(cache, "ping", None)
    if ping is not None:
        ping()  # Redis: one short round trip, or an error at once while it is known to be away
        return "ok"
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("the cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if celery_app.conf.task_always_eager:
        return "eager"
    import redis

    client = redis.Redis.from_url(
        celery_app.conf.broker_url,
        socket_connect_timeout=BROKER_PING_TIMEOUT,
        socket_timeout=BROKER_PING_TIMEOUT,
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


# What a failing check names in the answer, so that whoever reads it knows where to look.
SERVICE_NAMES = {
    "database": "PostgreSQL (the database)",
    "cache": "Redis (the shared cache)",
    "broker": "Redis (the task broker)",
}


@never_cache
@require_safe
def healthz(request):
    """Report the database, cache and broker; answer 503, naming what is down, when any is."""
    report = {}
    problems = []
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        try:
            report[name] = check()
        except Exception as exc:  # noqa: BLE001 - any failure means "down", and is reported
            log.warning("healthz: %s is down: %s: %s", name, type(exc).__name__, exc)
            report[name] = "down"
            problems.append(f"{SERVICE_NAMES[name]} does not answer")
    report["status"] = "down" if problems else "ok"
    if problems:
        report["problems"] = problems
    response = JsonResponse(report, status=503 if problems else 200)
    # Each problem was logged above; the balancer asks every few seconds, so Django's own
    # "Service Unavailable" error line would double every line of an outage.
    response._has_been_logged = bool(problems)
    return response


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Django calls this while handling the exception: one raised outside a view (a session
    # read in a middleware) may say the database is away, which is a 503, not our bug.
    exc = sys.exc_info()[1]
    if outage.database_unavailable(exc):
        return outage.unavailable_response(request, exc)
    return render(request, "500.html", status=500)
