"""Queue and deliver outgoing mail through the database outbox.

How a message is never lost
    ``message_queue`` stores the message in the caller's transaction, so it exists exactly when
    the change that causes it does. After commit its id is pushed to the broker; when the broker
    is down the push fails quietly (in at most a couple of seconds) and the row stays pending.
    The periodic sweep (``messages_requeue_stale``, beat entry ``outbox-requeue-stale``) queues
    every message still pending one sweep interval after it was due, and releases claims of workers
    that died before the message reached the mail server. A refused or failed send is retried with
    exponential backoff (``backoff``) up to ``OUTBOX_MAX_ATTEMPTS`` times, then marked failed for
    staff, who can queue it again from the admin.

How a message is never sent twice
    1. A delivery run *claims* rows with a conditional ``UPDATE ... SET state='sending',
       claim_token=<its own token>, lease_until=<deadline> WHERE state='pending' AND
       next_attempt_at <= now`` and sends only the rows that carry its token afterwards: two
       workers (or a task the broker delivered twice) never both send a message.
    2. It is marked sent, in its own short transaction, as soon as the mail server answered 250
       to the end of DATA, before the next message is sent.
    3. Just before the final "." of DATA the worker records ``handed_over_at``, with an UPDATE that
       succeeds only while the claim is still the run's and has at least one server answer's time
       (``message_budget``) left; otherwise the run drops the connection without the ".". A
       server discards a message whose DATA never ended, so a claim whose lease ran out with no
       ``handed_over_at`` (worker killed or stuck while connecting or sending) is safely sent
       again. A claim whose lease ran out *with* ``handed_over_at`` (worker killed between handing
       the message over and recording the server's answer, one message per worker process at
       most) may already be in the recipient's mailbox: it is never re-sent automatically but
       marked "unconfirmed" so that staff can check and, if needed, send it again from the
       admin. The same happens when the connection drops after the final "." without an answer.
       An answer that arrives after all still marks the message sent.
    4. Every message has a fixed Message-ID from the moment it is queued, so any copy a person
       does decide to send again is recognisable as the same message.

How long a claim lasts
    A run claims only as many messages as it can send within ``OUTBOX_LEASE_SECONDS`` (30 s by
    default), counting one server timeout (``EMAIL_TIMEOUT``) per message at first, then twice
    what its sends have taken, plus two timeouts for the last one, and holds them just that long
    (``claim_plan``). It starts a message only while its claim has those two timeouts left, and
    hands it over only while one is left, so the lease is the batch's real deadline (a message
    whose start took longer than a timeout counts as a failed attempt, retried after its
    backoff). The sweep runs every ``OUTBOX_SWEEP_SECONDS`` (30 s): the messages of a worker that
    was killed are sent by another within about a minute (lease plus sweep interval). Leases are
    measured by the database's clock, so workers on machines whose clocks differ agree on them.

How a worker stops
    On a warm shutdown (SIGTERM) the run stops before its next message, gives back the messages it
    claimed but did not start, and queues a task for them: another worker (or this one after its
    restart) sends them at once. A stop timeout of a few server timeouts is then always enough.

How delivery stays fast
    A delivery task sends its own message and then keeps draining due messages over the same SMTP
    connection, up to ``BATCH_SIZE`` messages or ``BATCH_SECONDS``; tasks for messages already sent
    that way find nothing to claim and end after one query. A run that stops with messages
    perhaps still due queues a task to go on.

Mail never leaves inside a web request
    A request only writes rows and, after commit, pushes ids to the broker. Without a broker
    (laptop, ``task_always_eager``) the push is held until the response has been sent
    (``request_finished``) and only then runs the delivery in the same process.
"""

import contextlib
import logging
import math
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Subquery, Value, When
from django.db.models.functions import Now
from django.template.loader import render_to_string
from django.utils import timezone

from cswb.lib.tasks import task_enqueue, worker_stop_requested
from cswb.outbox.backends import EmailBackend as HandoverBackend
from cswb.outbox.models import Message

log = logging.getLogger(__name__)

# The delivery task's hard time limit (seconds): a safety net, the run ends after BATCH_SECONDS.
TASK_TIME_LIMIT = 300
# One delivery task sends at most this many messages over one connection.
BATCH_SIZE = 200
BATCH_SECONDS = 60
# Messages claimed at once at most: small enough that parallel workers share a backlog.
CLAIM_BATCH = 25
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SMTP_OK = 250


def max_attempts() -> int:
    """Return how many tries a message gets before staff must step in (OUTBOX_MAX_ATTEMPTS)."""
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)


def lease_seconds() -> float:
    """Return the longest a claim may last (OUTBOX_LEASE_SECONDS, 30 by default)."""
    return float(getattr(settings, "OUTBOX_LEASE_SECONDS", 30))


def message_budget() -> float:
    """Return the seconds allowed for one message: the mail server's timeout for one answer
    (``EMAIL_TIMEOUT``, 10 s when unset)."""
    return float(getattr(settings, "EMAIL_TIMEOUT", None) or 10)


def claim_plan(seconds_per_message: float | None = None) -> tuple[int, timedelta]:
    """Return how many messages a run claims at once, and for how long.

    Each message is reckoned at twice what the run's sends took so far (``seconds_per_message``),
    or at a whole server timeout before its first send; the claim adds two timeouts: one for a
    slow start of its last message, one for the server's answer to it. As many messages as fit
    in ``OUTBOX_LEASE_SECONDS`` (at least one, at most ``CLAIM_BATCH``), for just that long: a
    fast server gets big claims with short leases, a slow one small claims.
    """
    budget = message_budget()
    each = budget
    if seconds_per_message is not None:
        each = min(budget, max(2 * seconds_per_message, 0.01))
    count = max(1, min(CLAIM_BATCH, int((lease_seconds() - 2 * budget) // each)))
    return count, timedelta(seconds=count * each + 2 * budget)


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: 30 s, 1 min, 2 min ... capped at one hour.

    The base is ``OUTBOX_RETRY_BASE_SECONDS`` (30 by default).
    """
    base = getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", 30)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render ``emails/<template>-subject.txt``, ``-body.txt`` and ``-body.html``.

    The HTML body goes into ``emails/_layout.html``, the one page every HTML email is: it names
    the language (``<html lang>``) so that a screen reader reads the message in the right voice.
    """
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME, **context}
    subject = render_to_string(f"emails/{template}-subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    body = render_to_string(f"emails/{template}-body.html", context)
    html = render_to_string("emails/_layout.html", {"subject": subject, "body": body})
    return subject, text, html


def _message_id() -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<outbox-{uuid.uuid4().hex}@{domain}>"


def message_queue(
    *,
    to: str,
    template: str,
    context: dict,
    kind: str = "",
    dedupe_key: str | None = None,
    headers: dict | None = None,
) -> Message | None:
    """Store an email and send it once the surrounding transaction commits.

    Return the new message, or ``None`` when a message with the same ``dedupe_key`` already
    exists (the caller asked for that email before, so it is not queued twice).
    """
    subject, text, html = render_email(template, context)
    headers = dict(headers or {})
    headers.setdefault("Message-ID", _message_id())
    try:
        with transaction.atomic():
            message = Message.objects.create(
                kind=kind or template,
                to_email=to,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    _deliver_after_commit(message.pk)
    return message


def _deliver_after_commit(message_id: int) -> None:
    """Queue delivery once the surrounding transaction commits.

    A delivery run claims other due messages after its first (``messages_deliver``), so one task
    for every ``BATCH_SIZE`` messages a transaction stores is enough: a resident's submission
    that writes to four people costs the web process one broker call, and the worker one run.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Django's list of the hooks waiting for this transaction to commit: join ours if it is
        # there already.
        for _savepoints, hook, _robust in connection.run_on_commit:
            batch = getattr(hook, "outbox_batch", None)
            if batch is not None and not hook.ran:
                batch.append(message_id)
                return
    batch = [message_id]

    def hook():
        hook.ran = True
        for first in batch[::BATCH_SIZE]:
            enqueue_delivery(first)

    hook.ran = False
    hook.outbox_batch = batch
    transaction.on_commit(hook)


# Delivery held back until the current request has been answered (eager mode only) ----------

_request = threading.local()


def request_started(**kwargs) -> None:
    _request.active = True
    _request.held = []


def request_finished(**kwargs) -> None:
    held = getattr(_request, "held", [])
    _request.active = False
    _request.held = []
    for message_id in held:
        enqueue_delivery(message_id)


def _in_request() -> bool:
    return getattr(_request, "active", False)


def enqueue_delivery(message_id: int, *, countdown: float | None = None) -> bool:
    """Hand a message to the broker; when the broker is down, leave it for the periodic sweep.

    Without a broker (eager tasks) and inside a request, hold it until the response is sent.
    """
    from cswb.celery import app
    from cswb.outbox.tasks import deliver

    if app.conf.task_always_eager and _in_request():
        _request.held.append(message_id)
        return True
    # When the broker is away the row stays pending and the sweep queues it.
    return task_enqueue(deliver, message_id, countdown=countdown)


def _build(message: Message) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers=message.headers,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


def _open_backend():
    """Return an open mail backend; SMTP goes through the handover-reporting backend."""
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        backend = get_connection("cswb.outbox.backends.EmailBackend")
    else:
        backend = get_connection()
    backend.open()
    return backend


def _claim(
    *, first_id: int | None, limit: int, token: str, lease: timedelta | None = None
) -> list[Message]:
    """Claim up to ``limit`` due messages for the run ``token`` until ``lease`` from now (by the
    database's clock; ``OUTBOX_LEASE_SECONDS`` by default); return them, ``first_id`` first.

    One conditional UPDATE (``... WHERE state='pending' AND next_attempt_at <= now``) marks the
    rows; rows another run claimed in the meantime no longer match and are skipped, so no row is
    ever held by two runs. Two queries for the whole batch.
    """
    lease = timedelta(seconds=lease_seconds()) if lease is None else lease
    now = timezone.now()
    due = Message.objects.due(now)
    order = ["next_attempt_at", "pk"]
    if first_id is not None:
        first = When(pk=first_id, then=Value(0))
        due = due.annotate(first=Case(first, default=Value(1), output_field=IntegerField()))
        order = ["first", *order]
    candidates = due.order_by(*order).values("pk")[:limit]
    Message.objects.filter(
        pk__in=Subquery(candidates), state=Message.State.PENDING, next_attempt_at__lte=now
    ).update(
        state=Message.State.SENDING,
        claimed_at=now,
        claim_token=token,
        lease_until=Now() + lease,
        handed_over_at=None,
        attempts=F("attempts") + 1,
    )
    claimed = list(Message.objects.filter(claim_token=token, state=Message.State.SENDING))
    claimed.sort(key=lambda m: (m.pk != first_id, m.next_attempt_at, m.pk))
    return claimed


def _release(token: str, message_ids: list[int]) -> int:
    """Give back claimed messages this run did not try: pending again at once, the attempt not
    counted. Return how many."""
    if not message_ids:
        return 0
    return Message.objects.filter(
        pk__in=message_ids, claim_token=token, state=Message.State.SENDING
    ).update(
        state=Message.State.PENDING,
        claimed_at=None,
        claim_token="",
        lease_until=None,
        attempts=F("attempts") - 1,
    )


class ClaimLost(Exception):
    """The run's claim on a message ended (lease over, or released by the sweep) before the
    message was handed over: it was not sent, and must not be."""


@dataclass
class _Attempt:
    """What one send learnt about whether the server may hold the message."""

    message_id: int
    token: str
    handed_over: bool = False
    reply: int | None = None

    def handover(self):
        # The point of no return: only while the claim is ours and still has time for the
        # server's answer (the database's clock, as for the lease).
        wait = timedelta(seconds=message_budget())
        held = Message.objects.filter(
            pk=self.message_id,
            claim_token=self.token,
            state=Message.State.SENDING,
            lease_until__gt=Now() + wait,
        ).update(handed_over_at=timezone.now())
        if not held:
            raise ClaimLost("the claim ran out before the message was handed to the mail server")
        self.handed_over = True

    def replied(self, code: int):
        self.reply = code


def _send(backend, message: Message, token: str) -> None:
    attempt = _Attempt(message.pk, token)
    smtp = isinstance(backend, HandoverBackend)
    if smtp:
        backend.on_handover = attempt.handover
        backend.on_reply = attempt.replied
    else:
        # Console, locmem and other backends have no DATA phase: the call is the handover, and
        # a worker killed during it does not send again.
        attempt.handover()
    try:
        sent = backend.send_messages([_build(message)])
    except Exception as exc:
        exc.outbox_unconfirmed = smtp and attempt.handed_over and attempt.reply is None
        raise
    if not sent:
        raise RuntimeError("the mail backend reported that nothing was sent")


def _record_sent(message_id: int, token: str) -> None:
    """Mark a message the server accepted as sent, in its own transaction, before the next send.

    A worker killed between the server's answer and this commit (a few milliseconds, one message
    at most) leaves the message handed over but not sent: the sweep marks it "unconfirmed". A
    message the sweep marked unconfirmed while its answer was late is marked sent all the same.
    """
    Message.objects.filter(
        pk=message_id,
        claim_token=token,
        state__in=[Message.State.SENDING, Message.State.UNCONFIRMED],
    ).update(state=Message.State.SENT, sent_at=timezone.now(), last_error="")


def _is_permanent(exc: Exception) -> bool:
    """Return True for a 5xx answer: the server will refuse this message every time."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _record_failure(message: Message, exc: Exception, token: str) -> timedelta | None:
    """Record a failed attempt; return the wait before the next, or None when there is none."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    ours = Message.objects.filter(pk=message.pk, claim_token=token, state=Message.State.SENDING)
    if getattr(exc, "outbox_unconfirmed", False):
        # The server had the whole message and never answered: it may have delivered it.
        ours.update(
            state=Message.State.UNCONFIRMED, last_error=error
        )
        log.error("outbox: message %s may have been sent; not retrying (%s)", message.pk, error)
        return None
    failed = message.attempts >= max_attempts() or _is_permanent(exc)
    wait = backoff(message.attempts)
    ours.update(
        state=Message.State.FAILED if failed else Message.State.PENDING,
        next_attempt_at=timezone.now() + wait,
        handed_over_at=None,
        last_error=error,
    )
    log.warning("outbox: message %s attempt %s failed: %s", message.pk, message.attempts, error)
    return None if failed else wait


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    # (message id, wait before its next try) for each message that failed and will be retried
    retries: list[tuple[int, timedelta]] = field(default_factory=list)
    given_up: list[int] = field(default_factory=list)
    # The run stopped (time, size or a shutdown) while messages may still be due: queue another.
    unfinished: bool = False


def messages_deliver(*, message_id: int | None = None, limit: int = BATCH_SIZE) -> DeliveryReport:
    """Send ``message_id`` (when given) and then other due messages over one connection.

    Messages are claimed a few at a time (``claim_plan``, ``_claim``), so any number of workers
    may run this at once and share the backlog, and each message's result is committed as soon as
    it is known. The run stops at the first failure (a server that refuses one message now will
    likely refuse the next) and before the next message on a warm shutdown; the messages it
    claimed but did not try are released at once for other runs. Runs two committed queries per
    message (the handover, before the end of DATA, and the result) and two per claim.
    """
    report = DeliveryReport()
    backend = None
    token = uuid.uuid4().hex
    budget = message_budget()
    deadline = time.monotonic() + BATCH_SECONDS
    first_id = message_id
    untried: list[int] = []
    sending_seconds = 0.0
    try:
        while len(report.sent) < limit:
            if time.monotonic() >= deadline or worker_stop_requested():
                report.unfinished = True
                break
            size, lease = claim_plan(sending_seconds / len(report.sent) if report.sent else None)
            size = min(size, limit - len(report.sent))
            # Measured from before the claim: this run's view ends no later than the lease.
            lease_end = time.monotonic() + lease.total_seconds()
            batch = _claim(first_id=first_id, limit=size, token=token, lease=lease)
            first_id = None
            if not batch:
                break
            untried = [m.pk for m in batch]
            stop = False
            for message in batch:
                if worker_stop_requested():
                    report.unfinished = stop = True
                    break
                if lease_end - time.monotonic() <= 2 * budget:
                    # Too little of the claim left for a slow start and the answer (the
                    # handover would be refused): give the rest back and claim again.
                    break
                untried.remove(message.pk)
                started = time.monotonic()
                try:
                    if backend is None:
                        backend = _open_backend()
                    _send(backend, message, token)
                except Exception as exc:  # noqa: BLE001 - every failure is recorded, retried
                    wait = _record_failure(message, exc, token)
                    if wait is None:
                        report.given_up.append(message.pk)
                    else:
                        report.retries.append((message.pk, wait))
                    stop = True
                    break
                _record_sent(message.pk, token)
                report.sent.append(message.pk)
                sending_seconds += time.monotonic() - started
            _release(token, untried)
            untried = []
            if stop:
                break
        else:
            report.unfinished = True
    finally:
        # Also on an unexpected error (the database went away): give back the claims not
        # tried. A message sent but not recorded stays handed over for the sweep.
        with contextlib.suppress(Exception):
            _release(token, untried)
        if backend is not None:
            # The connection is being dropped anyway: a failure to say goodbye changes nothing.
            with contextlib.suppress(Exception):
                backend.close()
    return report


def message_deliver(*, message_id: int) -> timedelta | None:
    """Send one due message; return the wait before a retry, or ``None`` when done."""
    report = messages_deliver(message_id=message_id, limit=1)
    for failed_id, wait in report.retries:
        if failed_id == message_id:
            return wait
    return None


def message_retry(*, message: Message) -> bool:
    """Put a failed, unconfirmed or stuck message back in the queue now (staff action).

    Return False when there was nothing to do (the message was sent meanwhile).
    """
    updated = (
        Message.objects.filter(pk=message.pk)
        .exclude(state__in=[Message.State.SENT, Message.State.SENDING])
        .update(
            state=Message.State.PENDING,
            next_attempt_at=timezone.now(),
            attempts=0,
            handed_over_at=None,
        )
    )
    if updated:
        transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return bool(updated)


def requeue_after() -> timedelta:
    """Return how long the sweep leaves a due message to the task queued for it at commit: one
    sweep interval (``OUTBOX_SWEEP_SECONDS``). Queuing it sooner would only cost an idle task."""
    return timedelta(seconds=getattr(settings, "OUTBOX_SWEEP_SECONDS", 30))


def messages_requeue_stale(*, now=None, grace: timedelta | None = None) -> int:
    """Release claims whose lease ran out and queue every overdue message; return how many are due.

    A released claim that had not reached the mail server goes back to pending and is queued at
    once; one that had is marked unconfirmed instead (see the module docstring). Other messages
    due for less than ``grace`` are left to the task queued for them. Leases are compared with
    the database's clock unless ``now`` is given.
    """
    clock = Now() if now is None else now
    Message.objects.stuck(clock).filter(handed_over_at__isnull=False).update(
        state=Message.State.UNCONFIRMED,
        last_error="The worker stopped after handing the message to the mail server and "
        "before hearing its answer; it may have been delivered.",
    )
    lost = list(
        Message.objects.stuck(clock)
        .filter(handed_over_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if lost:
        Message.objects.stuck(clock).filter(pk__in=lost, handed_over_at__isnull=True).update(
            state=Message.State.PENDING, claimed_at=None, claim_token="", lease_until=None
        )
        log.warning("outbox: released %s message(s) a stopped worker had claimed", len(lost))
    now = now or timezone.now()
    grace = requeue_after() if grace is None else grace
    count = (
        Message.objects.filter(state=Message.State.PENDING)
        .filter(Q(next_attempt_at__lte=now - grace) | Q(pk__in=lost))
        .count()
    )
    # Each drain task sends up to BATCH_SIZE messages; queue enough of them to cover the backlog.
    for _ in range(min(math.ceil(count / BATCH_SIZE), 20)):
        enqueue_drain()
    return count


def enqueue_drain() -> bool:
    from cswb.outbox.tasks import deliver_due

    return task_enqueue(deliver_due)  # when the broker is away, the next sweep tries again


def messages_forget(*, dedupe_prefix: str) -> int:
    """Delete the messages whose ``dedupe_key`` starts with ``dedupe_prefix`` (e.g. when a
    resident's contact details reach the end of their retention); return how many.

    A message a worker is sending right now is left alone; the next clean-up removes it.
    """
    deleted, _by_model = (
        Message.objects.filter(dedupe_key__startswith=dedupe_prefix)
        .exclude(state=Message.State.SENDING)
        .delete()
    )
    return deleted
