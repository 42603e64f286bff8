"""Whole-page caching for public pages, shared by every web process and never stale.

A page is cached in the shared cache (Redis in production) under the current *content version*.
Any saved or deleted row of plan data bumps the version once the transaction commits, so the next
request renders afresh: a staff edit shows on the very next page view. Responses carry an ETag,
and a browser or proxy that sends it back gets a 304 without the page being rendered.
"""

import functools
import hashlib

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag

VERSION_KEY = "pagecache:version"
PAGE_TTL = 60 * 60 * 24
# Apps whose rows appear on public pages; a change to any of them refreshes every cached page.
PUBLIC_DATA_APPS = {"actiontables", "indicators", "grants"}
# Rows of those apps that never appear on a public page: writing them (a resident following a
# table, an application draft) must not empty the cache, or a bot could keep it cold.
PRIVATE_MODELS = {
    "actiontables.subscription",
    "grants.referencecounter",
    "grants.budgetline",
    "grants.attachment",
    "grants.review",
    "grants.score",
    "grants.event",
    "grants.report",
}


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_version() -> None:
    """Invalidate every cached page (after the current transaction commits)."""

    def bump():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 2, timeout=None)

    transaction.on_commit(bump)


def _cacheable(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False  # staff may see drafts and their own notices
    return not request.COOKIES.get("messages")


def public_page(view):
    """Serve a public GET page from the shared cache with an ETag; render it on a miss.

    A view whose page goes out of date at a known moment sets ``response.cache_ttl`` (seconds).
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        path_hash = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{content_version()}:{path_hash}"
        cached = cache.get(key)
        if cached is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            body = response.content
            etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
            cached = (body, response["Content-Type"], etag)
            # A page that changes at a known time (a grant round opening) says so itself.
            ttl = getattr(response, "cache_ttl", PAGE_TTL)
            if ttl > 0:
                cache.set(key, cached, ttl)
        body, content_type, etag = cached
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type=content_type)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    return wrapper


def bump_on_public_change(sender, **kwargs):
    """Signal receiver: a row of public data changed, so cached pages are out of date."""
    opts = sender._meta
    if opts.app_label in PUBLIC_DATA_APPS and opts.label_lower not in PRIVATE_MODELS:
        bump_version()
