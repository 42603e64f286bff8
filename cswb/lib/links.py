"""Private links for residents, applicants and staff: signed, unguessable, expiring, hidden.

How long each kind of link works is declared once, in ``LIFETIMES``; SECURITY.md states the same
figures (a test compares them) and its key-rotation steps wait for the longest signed one. A
signed link stops working when the key that signed it leaves ``SECRET_KEY_FALLBACKS``; a single
resident's or applicant's links are revoked by giving their issue or application a new secret
(``issue_link_revoke``, ``application_links_revoke``).

A path that carries a ``token`` in any URL pattern is a private link: whoever holds it acts as
the resident, applicant or staff member it was sent to. ``redact`` hides its token wherever text
may be read by people who could not open the page: the admin's outgoing mail, Django's log and
gunicorn's access log (``RedactLinksFilter``, ``cswb.gunicorn_logging``).
"""

import functools
import logging
import re

from django.apps import apps
from django.core import signing

DAY = 60 * 60 * 24
# How long each kind of private link works, in seconds, by purpose.
LIFETIMES = {
    "issue-follow": 90 * DAY,  # a resident's issue; every email to them carries a fresh one
    "grants.application": 90 * DAY,  # an applicant's draft or status page
    "actiontables.follow": 7 * DAY,  # the confirmation of a new follower
    "actiontables.plan-reports": 7 * DAY,  # a follower adds the plan's yearly report
    "actiontables.unsubscribe": 90 * DAY,  # in every update email; CASL asks for 60 days
    "accounts.enrolment": 3 * DAY,  # random, stored hashed: the secret key does not sign it
}
# The purposes whose links the secret key signs (rotating the key ends them).
SIGNED = ("issue-follow", "grants.application", "actiontables.follow",
          "actiontables.plan-reports", "actiontables.unsubscribe")
DEFAULT_MAX_AGE = 90 * DAY
REDACTED = "[private link]"


def make_token(purpose: str, value: str) -> str:
    """Return a URL-safe token that proves ``value`` was issued for ``purpose``."""
    return signing.dumps(value, salt=f"cswb.link.{purpose}", compress=True)


def read_token(purpose: str, token: str, *, max_age: int | None = None) -> str | None:
    """Return the value in ``token``, or None when it is tampered with, foreign or expired.

    ``max_age`` defaults to the purpose's lifetime in ``LIFETIMES``.
    """
    if max_age is None:
        max_age = LIFETIMES.get(purpose, DEFAULT_MAX_AGE)
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
    # A token never starts with "[", so text already redacted stays as it is.
    return re.compile(rf"({alternatives})[^/?#\s\"'<>\[][^/?#\s\"'<>]*")


def redact(text: str) -> str:
    """Return ``text`` with the token of every private link replaced by "[private link]"."""
    # Before every app is ready (start-up logs, such as django-axes'), no request has run and
    # no link can be in the text; reading the URLconf then would build the admin's URLs before
    # the admin has found its models, and leave it without them for the life of the process.
    if not text or not apps.ready:
        return text
    return _private_link_pattern().sub(lambda match: match.group(1) + REDACTED, text)


class RedactLinksFilter(logging.Filter):
    """A logging filter that hides private links' tokens in every record it lets through."""

    def filter(self, record):
        message = record.getMessage()
        hidden = redact(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True
