"""Rate limits, counted in the shared cache: the portal's one mechanism for them.

A ``RateLimit`` names a scope, a number of events and a window; ``hit(key)`` counts one event for a
key (a resident's address, a recipient, an API key) and says whether it is still within the limit;
``peek(key)`` only reads. Windows are fixed (the clock's hours for a one-hour window), so "when can
I try again" has an exact answer: the end of the current window.

Public forms go through ``limit_form``: it counts what costs us something, an accepted
submission or plain abuse (the honeypot filled, a form sent faster than a person can), and never
a mistake a person is correcting. At the limit the form comes back as typed, with an error saying
when it can be sent and that 311 takes it now.

Emails a stranger can make the portal send to an address they type (an issue's acknowledgement,
a follow confirmation, a grant draft's link) are also counted per recipient
(``recipient_allows``), so many connections together cannot flood one mailbox or carry words of
their choosing to it. Past that limit the submission is still accepted; only the email is left out.

The cache is Redis in production, so every web process counts against the same limit. When it
is away, every event is allowed: a rate limit never stops a resident's submission.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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


@dataclass(frozen=True)
class Verdict:
    """What a rate limit says about one key at one moment."""

    allowed: bool
    # Events counted in the current window; None when the cache could not be asked.
    count: int | None
    # When the current window ends, and with it the refusal.
    resets_at: datetime

    @property
    def retry_after(self) -> int:
        """Return the seconds until the window ends (for a Retry-After header), at least 1."""
        return max(int((self.resets_at - timezone.now()).total_seconds()) + 1, 1)


class RateLimit:
    """At most ``limit`` events per key in each fixed window of ``window`` seconds."""

    def __init__(self, scope: str, *, limit: int, window: int = 3600):
        self.scope = scope
        self.limit = limit
        self.window = window

    def __repr__(self):
        return f"RateLimit({self.scope!r}, limit={self.limit}, window={self.window})"

    def _bucket(self, now: float) -> tuple[int, datetime]:
        bucket = int(now // self.window)
        return bucket, datetime.fromtimestamp((bucket + 1) * self.window, tz=UTC)

    def _cache_key(self, key: str, bucket: int) -> str:
        # Keys may be addresses or email addresses: store a digest, never the value.
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"rl:{self.scope}:{digest}:{bucket}"

    def hit(self, key: str) -> Verdict:
        """Count one event for ``key``; return whether it is within the limit."""
        bucket, resets_at = self._bucket(time.time())
        cache_key = self._cache_key(key, bucket)
        try:
            cache.add(cache_key, 0, timeout=self.window + 5)
            count = cache.incr(cache_key)
        except Exception:  # noqa: BLE001 - the cache is away or lost the key: let it through
            log.info("ratelimit: %s could not be counted; letting it through", self.scope)
            return Verdict(True, None, resets_at)
        return Verdict(count <= self.limit, count, resets_at)

    def peek(self, key: str) -> Verdict:
        """Return whether one more event for ``key`` would be within the limit, counting nothing."""
        bucket, resets_at = self._bucket(time.time())
        try:
            count = cache.get(self._cache_key(key, bucket), 0)
        except Exception:  # noqa: BLE001 - as in hit()
            return Verdict(True, None, resets_at)
        return Verdict(count < self.limit, count, resets_at)


def limit_form(request, form, limit: RateLimit, *, key: str | None = None) -> Verdict | None:
    """Validate ``form`` and count it against ``limit`` when it costs something.

    A valid form (about to be acted on) and abuse (``form.looks_automated()``) count; a form
    with mistakes does not. Return the refusing verdict when a valid form is over the limit:
    the form then carries an error saying when it can be sent and stays bound to what was
    typed, so the view shows it again (``refuse`` sets the status). Return None otherwise.
    """
    key = client_ip(request) if key is None else key
    if form.is_valid():
        verdict = limit.hit(key)
        if verdict.allowed:
            return None
        form.add_error(None, limit_message(verdict))
        return verdict
    looks_automated = getattr(form, "looks_automated", None)
    if looks_automated is not None and looks_automated():
        limit.hit(key)
    return None


def limit_message(verdict: Verdict) -> str:
    """Return the words shown with a form that reached its limit."""
    wait = max((verdict.retry_after + 59) // 60, 1)
    return _(
        "Nothing was sent: we have had as many forms from your connection as we accept in a "
        "short time. Your answers are kept below. You can send them after %(time)s (%(wait)s), "
        "or call 311 to tell us now."
    ) % {
        "time": formats.time_format(timezone.localtime(verdict.resets_at)),
        "wait": ngettext("in about %d minute", "in about %d minutes", wait) % wait,
    }


def refuse(response, verdict: Verdict | None):
    """Mark ``response`` (the form shown again) as refused by ``verdict``, when there is one."""
    if verdict is not None:
        response.status_code = 429
        response["Retry-After"] = str(verdict.retry_after)
    return response


def wait_turn(limit: RateLimit, key: str, *, sleep=time.sleep) -> None:
    """Wait until one more event for ``key`` fits within ``limit``, then count it.

    For calls *we* make to someone else's service (Statistics Canada's per-address limit):
    every worker process counts in the same shared window, so together they stay under it.
    """
    while True:
        verdict = limit.hit(key)
        if verdict.allowed:
            return
        # The window is full: sleep to its end.
        sleep(max((verdict.resets_at - timezone.now()).total_seconds(), 0) + 0.001)


# Emails that public forms send to an address typed into them, per mailbox, all kinds together.
RECIPIENT_LIMITS = (
    RateLimit("mail-recipient-hour", limit=5, window=60 * 60),
    RateLimit("mail-recipient-day", limit=20, window=60 * 60 * 24),
)


def recipient_key(email: str) -> str:
    """Return the mailbox ``email`` reaches: lower-cased and without a ``+tag``."""
    local, _at, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def recipient_allows(email: str) -> bool:
    """Count one email a public form asks to send to ``email``; return whether it may go.

    Every limit in ``RECIPIENT_LIMITS`` counts it, so the day's limit holds even when the hours
    are spread out.
    """
    key = recipient_key(email)
    verdicts = [limit.hit(key) for limit in RECIPIENT_LIMITS]
    allowed = all(verdict.allowed for verdict in verdicts)
    if not allowed:
        log.warning("ratelimit: an email to a typed address was left out (too many for it)")
    return allowed
