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

Bounded: a page is kept under its path and only the query parameters it understands, each
normalized (``public_page(query=...)``); a request with any other parameter, a parameter given
twice or a value the page does not recognise is rendered and not kept, so made-up URLs cannot
fill the cache.

Redis away: every change to public data also raises a version kept in the database
(``cswb.models.PageVersion``), once it commits. While the cache does not answer, each request
reads that one instead (one query) and the process serves and keeps its own copies under it, so
a warm page costs little more than the query, and an edit saved meanwhile still shows on the next
request. When Redis answers again, each process that saw it fail empties its local copies and
gives the pages a new version before its requests use the cache again (``_after_an_outage``): a
change saved while Redis was away could not raise the version there itself.
"""

import functools
import hashlib
import logging
import re
import secrets
import threading
import time
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import quote_etag, urlencode

from cswb.lib import cache as shared_cache
from cswb.lib.forms import started_token
from cswb.models import PageVersion

log = logging.getLogger(__name__)

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


def content_version() -> int | str | None:
    """Return the version cached pages are kept under.

    While the cache does not answer, return the database's version (one query), under which
    this process keeps its own copies (``LocalPages``); None when that cannot be read either.
    """
    version = cache.get(VERSION_KEY)
    if version is None:
        if not shared_cache.available(cache):
            return _database_version()
        # A random start, not 1: after Redis loses its data, a version number from before must
        # never come back, or a process's local copy of an old page would match it.
        cache.add(VERSION_KEY, _fresh_version(), timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _fresh_version() -> int:
    return secrets.randbelow(2**52) + 1


def _database_version() -> str | None:
    try:
        return f"db{PageVersion.current()}"
    except DatabaseError:
        return None


def _bump() -> None:
    try:
        PageVersion.bump()
    except DatabaseError as exc:
        # Saved, but the version could not be raised: copies made while Redis is away are
        # dropped when it answers again (``_after_an_outage``), and the next change raises it.
        log.warning("The pages' version in the database could not be raised (%s)", exc)
    try:
        cache.incr(VERSION_KEY)
    except shared_cache.CacheUnavailable:
        # Redis did not answer: this process makes the pages stale once it answers again.
        pass
    except ValueError:
        # No version yet (Redis lost it): the next reader starts a fresh one.
        pass


def bump_version() -> None:
    """Invalidate every cached page (after the current transaction commits)."""
    transaction.on_commit(_bump)


@shared_cache.on_recovery
def _after_an_outage() -> None:
    """Redis answers again after this process saw it fail: edits saved meanwhile could not make
    cached pages stale, so do it now, before any request reads the cache again."""
    local_pages.clear()
    try:
        cache.incr(VERSION_KEY)
    except shared_cache.CacheUnavailable:
        raise
    except ValueError:
        pass  # Redis lost its data, and the old version with it


class LocalPages:
    """A least-recently-used store of cached pages, in this process, bounded in bytes."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[str, tuple[float, int, object]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self):
        return len(self._entries)

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


# Normalizers for ``public_page(query=...)``: each returns the value a cached copy is kept under,
# "" for the page's default, or None for a value the page would not recognise (not kept).

_PAGE_NUMBER = re.compile(r"[0-9]{1,4}")
_SLUG = re.compile(r"[-a-z0-9]{1,80}")


def page_number(value: str) -> str | None:
    """A paginator's ``?page=``: 1 to 9999, the first page the same as none."""
    if not _PAGE_NUMBER.fullmatch(value) or int(value) == 0:
        return None
    return "" if int(value) == 1 else str(int(value))


def slug_value(value: str) -> str | None:
    """A slug the view looks up (the view marks an unknown one ``cache_ttl = 0``)."""
    value = value.strip().lower()
    if not value:
        return ""
    return value if _SLUG.fullmatch(value) else None


def one_of(*values: str):
    """One of ``values`` (e.g. the four zones), or none."""
    allowed = set(values)

    def normalize(value: str) -> str | None:
        value = value.strip()
        if not value:
            return ""
        return value if value in allowed else None

    return normalize


def cache_query(request, query: dict | None) -> str | None:
    """Return the normalized query string a copy of this request's page is kept under.

    Only the parameters in ``query`` (name -> normalizer) count, in a fixed order, without their
    defaults. Return None when the page must not be kept: another parameter, one given twice, or
    a value its normalizer refuses.
    """
    query = query or {}
    params = request.GET
    if any(name not in query for name in params):
        return None
    parts = []
    for name in sorted(query):
        values = params.getlist(name)
        if not values:
            continue
        if len(values) > 1:
            return None
        value = query[name](values[0])
        if value is None:
            return None
        if value:
            parts.append((name, value))
    return urlencode(parts)


def not_kept_unless_shown(response, request, page):
    """Keep ``response`` out of the cache when the paginator showed another page than the one
    asked for (a number past the last page shows the last)."""
    asked = page_number(request.GET.get("page", "1")) or "1"
    if int(asked) != page.number:
        response.cache_ttl = 0
    return response


def page_cache_key(request, version, query: dict | None) -> str | None:
    """Return the key of this request's page under ``version``, or None when it is not kept."""
    normalized = cache_query(request, query)
    if version is None or normalized is None:
        return None
    digest = hashlib.sha256(f"{request.path}?{normalized}".encode()).hexdigest()
    return f"page:{version}:{digest}"


def public_page(view=None, *, query: dict | None = None):
    """Serve a public GET page from the shared cache with an ETag; render it on a miss.

    ``query`` names the query parameters the page understands, with their normalizers
    (``page_number``, ``slug_value``, ``one_of(...)``); a request with any other is rendered and not
    kept. A view whose page goes out of date at a known moment sets ``response.cache_ttl``
    (seconds); 0 keeps it out of the cache.
    """
    if view is None:
        return functools.partial(public_page, query=query)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not shareable(request):
            return view(request, *args, **kwargs)
        key = page_cache_key(request, content_version(), query)
        if key is None:
            return view(request, *args, **kwargs)
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
    version = content_version() if shareable(request) else None
    if version is None:
        return render(None, None)
    key = f"form:{version}:{translation.get_language()}:{name}"
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
    if sender.__module__ == "__fake__":
        return  # a migration's historical model: no page is served from a half-migrated database
    opts = sender._meta
    label = opts.label_lower
    if label in PUBLIC_MODELS or (
        opts.app_label in PUBLIC_DATA_APPS and label not in PRIVATE_MODELS
    ):
        bump_version()
