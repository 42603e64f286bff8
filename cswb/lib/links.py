"""Private links for residents, applicants and staff: signed, unguessable, expiring, hidden.

A path that carries a ``token`` in any URL pattern is a private link: whoever holds it acts as
the resident, applicant or staff member it was sent to. ``redact`` hides its token wherever text
may be read by people who could not open the page (the admin's outgoing mail).
"""

import functools
import re

from django.core import signing

DEFAULT_MAX_AGE = 60 * 60 * 24 * 90
REDACTED = "[private link]"


def make_token(purpose: str, value: str) -> str:
    """Return a URL-safe token that proves ``value`` was issued for ``purpose``."""
    return signing.dumps(value, salt=f"cswb.link.{purpose}", compress=True)


def read_token(purpose: str, token: str, *, max_age: int = DEFAULT_MAX_AGE) -> str | None:
    """Return the value in ``token``, or None when it is tampered with, foreign or expired."""
    try:
        return signing.loads(token, salt=f"cswb.link.{purpose}", max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None


@functools.cache
def _private_link_pattern() -> re.Pattern:
    """Return a pattern matching a private link's path up to its token, built from the URLconf
    (every route whose first parameter is called ``token``)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    prefixes = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" in route:
                head, parameter = route.split("<", 1)
                if parameter.split(">", 1)[0].split(":")[-1] == "token":
                    prefixes.add("/" + prefix + head)

    walk(get_resolver().url_patterns, "")
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"({alternatives})[^/?#\s\"'<>]+")


def redact(text: str) -> str:
    """Return ``text`` with the token of every private link replaced by "[private link]"."""
    if not text:
        return text
    return _private_link_pattern().sub(lambda match: match.group(1) + REDACTED, text)
