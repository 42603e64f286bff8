"""Whole-page caching for public pages, shared by every web process and never stale.

A page is cached in the shared cache (Redis in production) under the current *content version*.
Any saved or deleted row of plan data bumps the version once the transaction commits, so the next
request renders afresh: a staff edit shows on the very next page view. Responses carry an ETag,
and a browser or proxy that sends it back gets a 304 without the page being rendered.

Each web process also keeps the pages it served last in memory (``LocalPages``). Their keys carry
the version, which every request still reads from the shared cache, so a local copy is never
served after a change; it saves fetching a large page from Redis on every request.

Forms cannot be cached whole, since each copy carries its own CSRF token and signed start time.
``form_page`` caches the page of an empty form with placeholders and puts this request's values
in their place.
"""

import functools
import hashlib
import re
import secrets
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag

from cswb.lib.forms import started_token

VERSION_KEY = "pagecache:version"
PAGE_TTL = 60 * 60 * 24
# Apps whose rows appear on public pages; a change to any of them refreshes every cached page.
PUBLIC_DATA_APPS = {"actiontables", "indicators", "grants", "plan"}
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
    "plan.reminder",
}
# Rows of other apps that do appear on public pages (the issue form shows the signposts).
PUBLIC_MODELS = {"issues.signpost"}


# A line break and the indentation and blank lines after it: browsers collapse it to one space.
_INDENTATION = re.compile(rb"\n[ \t]*(?:\n[ \t]*)*")
# Elements whose white space is kept as typed: a page with one is left as it is.
_PREFORMATTED = re.compile(rb"<(?:pre|textarea)\b", re.IGNORECASE)

# Memory each web process may spend on its copies of cached pages.
LOCAL_BUDGET_BYTES = 32 * 1024 * 1024
# Names the layout of what ``put_page`` stores, so that a release that changes it never reads
# entries an older release left in Redis.
SHARED_FORMAT = "pages.v2"


def content_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A random start, not 1: after Redis loses its data, a version number from before must
        # never come back, or a process's local copy of an old page would match it.
        cache.add(VERSION_KEY, secrets.randbelow(2**52) + 1, timeout=None)
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


class LocalPages:
    """A least-recently-used store of cached pages, in this process, bounded in bytes."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[str, tuple[float, int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, size, value = entry
            if expires_at <= time.time():
                del self._entries[key]
                self.used -= size
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value, size: int, expires_at: float) -> None:
        if size > self.budget:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.used -= old[1]
            self._entries[key] = (expires_at, size, value)
            self.used += size
            while self.used > self.budget:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self.used -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.used = 0


local_pages = LocalPages(LOCAL_BUDGET_BYTES)


def get_page(key: str):
    """Return what ``put_page`` stored under ``key``: from this process if it can, else shared."""
    value = local_pages.get(key)
    if value is not None:
        return value
    stored = cache.get(f"{SHARED_FORMAT}:{key}")
    if stored is None:
        return None
    expires_at, size, value = stored
    local_pages.put(key, value, size, expires_at)
    return value


def put_page(key: str, value, size: int, ttl: int) -> None:
    """Keep ``value`` (about ``size`` bytes) for ``ttl`` seconds, here and in the shared cache."""
    expires_at = time.time() + ttl
    cache.set(f"{SHARED_FORMAT}:{key}", (expires_at, size, value), ttl)
    local_pages.put(key, value, size, expires_at)


def compact(body: bytes, content_type: str) -> bytes:
    """Drop the templates' indentation from an HTML page before it is cached (a quarter of a
    long table's bytes); the page looks and reads the same, since browsers collapse it anyway."""
    if not content_type.startswith("text/html") or _PREFORMATTED.search(body):
        return body
    return _INDENTATION.sub(b"\n", body)


def shareable(request) -> bool:
    """Whether the request may get the copy everyone shares (nothing personal can be on it)."""
    if request.method not in ("GET", "HEAD"):
        return False
    # Flash messages live in a cookie, or in the session when they do not fit. Cookies first:
    # looking at the user would load a session.
    cookies = request.COOKIES
    if cookies.get("messages") or settings.SESSION_COOKIE_NAME in cookies:
        return False
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated  # staff may see drafts and notices


def public_page(view):
    """Serve a public GET page from the shared cache with an ETag; render it on a miss.

    A view whose page goes out of date at a known moment sets ``response.cache_ttl`` (seconds).
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not shareable(request):
            return view(request, *args, **kwargs)
        path_hash = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"page:{content_version()}:{path_hash}"
        cached = get_page(key)
        if cached is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            body = compact(response.content, response["Content-Type"])
            etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
            cached = (body, response["Content-Type"], etag)
            # A page that changes at a known time (a grant round opening) says so itself.
            ttl = getattr(response, "cache_ttl", PAGE_TTL)
            if ttl > 0:
                put_page(key, cached, len(body), ttl)
        body, content_type, etag = cached
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(body, content_type=content_type)
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        return response

    return wrapper


# Stand-ins for the values each copy of a form carries, put in when the page is served.
CSRF_SLOT = "cswb-slot-csrf-8d1c5e0b"
STARTED_SLOT = "cswb-slot-started-8d1c5e0b"


def form_page(request, name: str, render):
    """Return the page of an empty public form, rendered once per content version.

    ``render(csrf_token, started)`` renders the page, with ``csrf_token`` as the template's
    ``csrf_token`` and ``started`` as the form's signed start time (None for the real values). The
    shared copy is rendered with placeholders; each request gets its own token and time.
    """
    if not shareable(request):
        return render(None, None)
    key = f"form:{content_version()}:{translation.get_language()}:{name}"
    cached = get_page(key)
    if cached is None:
        response = render(CSRF_SLOT, STARTED_SLOT)
        body = response.content
        if response.status_code != 200 or response.cookies or CSRF_SLOT.encode() not in body:
            return render(None, None)
        cached = (body, response["Content-Type"])
        put_page(key, cached, len(body), PAGE_TTL)
    body, content_type = cached
    body = body.replace(CSRF_SLOT.encode(), get_token(request).encode())
    body = body.replace(STARTED_SLOT.encode(), started_token().encode())
    return HttpResponse(body, content_type=content_type)


def bump_on_public_change(sender, **kwargs):
    """Signal receiver: a row of public data changed, so cached pages are out of date."""
    opts = sender._meta
    label = opts.label_lower
    if label in PUBLIC_MODELS or (
        opts.app_label in PUBLIC_DATA_APPS and label not in PRIVATE_MODELS
    ):
        bump_version()
