"""Per-IP rate limits for public forms, counted in the shared cache.

The cache is Redis in production, so every web process counts against the same limit.
"""

import functools
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

log = logging.getLogger(__name__)


def client_ip(request) -> str:
    """Return the caller's address.

    Behind our own load balancer (TRUST_X_FORWARDED_FOR on) that is the last X-Forwarded-For
    entry, the one the balancer added; earlier entries come from the client and can be forged.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and settings.TRUST_X_FORWARDED_FOR:
        return forwarded.split(",")[-1].strip()[:64]
    return request.META.get("REMOTE_ADDR", "")[:64]


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one hit; return True while the key stays within ``limit`` hits per ``window`` s."""
    bucket = int(time.time() // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{bucket}"
    try:
        cache.add(cache_key, 0, timeout=window + 5)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # the key expired between add and incr
            cache.set(cache_key, 1, timeout=window + 5)
            count = 1
    except Exception:  # noqa: BLE001 - a cache outage must not stop residents' submissions
        log.warning("ratelimit: the cache is unreachable; letting %s through", scope)
        return True
    return count <= limit


def ratelimit(scope: str, *, limit: int, window: int = 3600, methods=("POST",)):
    """Refuse a view's ``methods`` with a 429 page once an address exceeds the limit."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not hit(
                scope, client_ip(request), limit=limit, window=window
            ):
                response = render(
                    request,
                    "429.html",
                    {"retry_minutes": max(window // 60, 1)},
                    status=429,
                )
                response["Retry-After"] = str(window)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
