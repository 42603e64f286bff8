"""Open311 GeoReport v2 at /open311/v2/: discovery, services, and residents' issues as requests.

Every view goes through ``endpoint``, which answers in the URL's format, turns every refusal
into the standard's error shape, checks the jurisdiction, the api_key and the key's rate limit,
and writes one audit line for every request made with a key.
"""

import functools

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from cswb.lib import ratelimit
from open311 import catalogue, selectors, services
from open311.georeport import GeoReportError, Params, render, render_error

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Reads per key per hour, as a multiple of the key's hourly limit on new issues.
READS_PER_POST = 10
WINDOW = 60 * 60


class Answer:
    def __init__(self, root: str, data, status: int = 200, reference: str = ""):
        self.root, self.data, self.status, self.reference = root, data, status, reference


def _check_rate(key, method: str) -> None:
    """Count the request against the key's hourly limit (``cswb.lib.ratelimit``).

    Every request counts, accepted or not: a calling system is not a person correcting a
    mistake, and one that keeps sending bad requests is a flood like any other.
    """
    posting = method == "POST"
    limit = ratelimit.RateLimit(
        "open311-post" if posting else "open311-read",
        limit=key.hourly_limit * (1 if posting else READS_PER_POST),
        window=WINDOW,
    )
    verdict = limit.hit(str(key.pk))
    if not verdict.allowed:
        error = GeoReportError(
            429,
            _("This api_key sent more than %(limit)d such requests this hour; try again after "
              "%(time)s.")
            % {"limit": limit.limit, "time": verdict.resets_at.replace(microsecond=0).isoformat()},
        )
        error.retry_after = verdict.retry_after
        raise error


def endpoint(*, methods=("GET", "HEAD"), key_required=()):
    """Wrap a GeoReport view: ``key_required`` lists the methods that need an ``api_key``.

    A key sent where none is needed is still checked, and its use recorded.
    """

    def decorator(view):
        @csrf_exempt
        @never_cache
        @functools.wraps(view)
        def wrapper(request, *args, fmt, **kwargs):
            key = None
            reference = ""
            try:
                if request.method not in methods:
                    raise GeoReportError(
                        405, _("Use %(methods)s here.") % {"methods": " or ".join(methods)}
                    )
                params = Params(request)
                jurisdiction = params.get("jurisdiction_id")
                if jurisdiction and jurisdiction != settings.OPEN311_JURISDICTION_ID:
                    raise GeoReportError(
                        400 if request.method == "POST" else 404,
                        _("jurisdiction_id %(given)s was not found; this endpoint serves "
                          "%(ours)s.") % {"given": jurisdiction[:100],
                                          "ours": settings.OPEN311_JURISDICTION_ID},
                    )
                if request.method in key_required or "api_key" in params:
                    key = services.key_authenticate(params.get("api_key"))
                    _check_rate(key, request.method)
                answer = view(request, *args, params=params, key=key, **kwargs)
                reference = answer.reference
                response = render(fmt, answer.root, answer.data, answer.status)
            except GeoReportError as error:
                key = key or getattr(error, "key", None)
                response = render_error(fmt, error)
                if hasattr(error, "retry_after"):
                    response["Retry-After"] = str(error.retry_after)
            if key is not None:
                services.request_record(
                    key=key, request=request, status=response.status_code, reference=reference
                )
            return response

        return wrapper

    return decorator


@endpoint()
def discovery(request, *, params, key):
    url = settings.SITE_URL + reverse("open311:root")
    return Answer("discovery", {
        "changeset": catalogue.CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url.rstrip("/"),
            "changeset": catalogue.CHANGESET,
            "type": "test" if settings.DEBUG else "production",
            "formats": ["text/xml", "application/json"],
        }],
    })


@endpoint()
def service_list(request, *, params, key):
    return Answer("services", catalogue.services())


@endpoint()
def service_definition(request, code, *, params, key):
    if code not in catalogue.service_codes():
        raise GeoReportError(404, _("service_code %(code)s was not found.") % {"code": code[:50]})
    return Answer("service_definition", catalogue.definition(code))


@endpoint(methods=("GET", "HEAD", "POST"), key_required=("GET", "HEAD", "POST"))
def requests(request, *, params, key):
    if request.method == "POST":
        issue = services.request_submit(key=key, params=params)
        notice = _(
            "Thank you. The CSWB Team aims to respond within five working days. This is not for "
            "emergencies: call 911."
        )
        data = [{"service_request_id": issue.reference, "service_notice": notice,
                 "account_id": None}]
        return Answer("service_requests", data, status=201, reference=issue.reference)
    return Answer("service_requests", selectors.requests_matching(params))


@endpoint(key_required=("GET", "HEAD"))
def request_detail(request, reference, *, params, key):
    return Answer(
        "service_requests", [selectors.request_by_reference(reference)], reference=reference
    )


@endpoint(methods=("GET", "HEAD", "POST"))
def _nothing_here(request, *, params, key):
    raise GeoReportError(404, _("There is nothing at this address: see discovery.xml."))


def not_found(request, rest: str = ""):
    """Answer any other address under /open311/v2/ with a 404 in the standard's shape."""
    return _nothing_here(request, fmt="json" if rest.endswith(".json") else "xml")
