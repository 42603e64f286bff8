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
       claim_token=<its own token> WHERE state='pending' AND next_attempt_at <= now`` and sends
       only the rows that carry its token afterwards: two workers (or a task the broker delivered
       twice) never both send a message.
    2. It is marked sent only after the mail server answered 250 to the end of DATA.
    3. Just before the final "." of DATA the worker records ``handed_over_at``. A server discards
       a message whose DATA never ended, so a claim that outlived its lease with no
       ``handed_over_at`` (worker killed while connecting or sending) is safely sent again. A
       claim that outlived its lease *with* ``handed_over_at`` (worker killed between handing the
       message over and recording the server's answer) may already be in the recipient's mailbox:
       it is never re-sent automatically but marked "unconfirmed" so that staff can check and, if
       needed, send it again from the admin. The same happens when the connection drops after the
       final "." without an answer.
    4. Every message has a fixed Message-ID from the moment it is queued, so any copy a person
       does decide to send again is recognisable as the same message.
    The lease (``SENDING_LEASE``) is longer than the delivery task's hard time limit, so a claim
    is only ever released once its worker can no longer be running.

How delivery stays fast
    A delivery task sends its own message and then keeps draining due messages over the same SMTP
    connection, up to ``BATCH_SIZE`` messages or ``BATCH_SECONDS``; tasks for messages already sent
    that way find nothing to claim and end after one query.

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
from django.db.models import Case, F, IntegerField, Subquery, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from cswb.lib.tasks import task_enqueue
from cswb.outbox.backends import EmailBackend as HandoverBackend
from cswb.outbox.models import Message

log = logging.getLogger(__name__)

# The delivery task's hard time limit (seconds); the lease below must stay well above it.
TASK_TIME_LIMIT = 300
# A claimed message not reported back within this time belongs to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
# One delivery task sends at most this many messages over one connection.
BATCH_SIZE = 200
BATCH_SECONDS = 60
# Messages claimed at once: small enough that parallel workers share a backlog.
CLAIM_BATCH = 25
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SMTP_OK = 250


def max_attempts() -> int:
    """Return how many tries a message gets before staff must step in (OUTBOX_MAX_ATTEMPTS)."""
    return getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)


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


def _claim(*, first_id: int | None, limit: int, token: str) -> list[Message]:
    """Claim up to ``limit`` due messages for the run ``token``; return them, ``first_id`` first.

    One conditional UPDATE (``... WHERE state='pending' AND next_attempt_at <= now``) marks the
    rows; rows another run claimed in the meantime no longer match and are skipped, so no row is
    ever held by two runs. Two queries for the whole batch.
    """
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
        handed_over_at=None,
        attempts=F("attempts") + 1,
    )
    claimed = list(Message.objects.filter(claim_token=token, state=Message.State.SENDING))
    claimed.sort(key=lambda m: (m.pk != first_id, m.next_attempt_at, m.pk))
    return claimed


def _release(token: str, message_ids: list[int]) -> None:
    """Give back claimed messages this run did not try: pending again, the attempt not counted."""
    if message_ids:
        Message.objects.filter(
            pk__in=message_ids, claim_token=token, state=Message.State.SENDING
        ).update(state=Message.State.PENDING, claimed_at=None, attempts=F("attempts") - 1)


@dataclass
class _Attempt:
    """What one send learnt about whether the server may hold the message."""

    message_id: int
    handed_over: bool = False
    reply: int | None = None

    def handover(self):
        self.handed_over = True
        Message.objects.filter(pk=self.message_id, state=Message.State.SENDING).update(
            handed_over_at=timezone.now()
        )

    def replied(self, code: int):
        self.reply = code


def _send(backend, message: Message) -> None:
    attempt = _Attempt(message.pk)
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


def _record_sent(message_ids: list[int]) -> None:
    """Mark messages the server accepted as sent, in one UPDATE for a whole batch.

    Recording a batch at once saves a commit per message. A worker that dies before recording
    leaves its accepted messages handed over but not sent: the sweep turns them "unconfirmed",
    never sends them again.
    """
    if message_ids:
        Message.objects.filter(pk__in=message_ids, state=Message.State.SENDING).update(
            state=Message.State.SENT, sent_at=timezone.now(), last_error=""
        )


def _is_permanent(exc: Exception) -> bool:
    """Return True for a 5xx answer: the server will refuse this message every time."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500


def _record_failure(message: Message, exc: Exception) -> timedelta | None:
    """Record a failed attempt; return the wait before the next, or None when there is none."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if getattr(exc, "outbox_unconfirmed", False):
        # The server had the whole message and never answered: it may have delivered it.
        Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
            state=Message.State.UNCONFIRMED, last_error=error
        )
        log.error("outbox: message %s may have been sent; not retrying (%s)", message.pk, error)
        return None
    failed = message.attempts >= max_attempts() or _is_permanent(exc)
    wait = backoff(message.attempts)
    Message.objects.filter(pk=message.pk, state=Message.State.SENDING).update(
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


def messages_deliver(*, message_id: int | None = None, limit: int = BATCH_SIZE) -> DeliveryReport:
    """Send ``message_id`` (when given) and then other due messages over one connection.

    Messages are claimed in small batches (see ``_claim``), so any number of workers may run
    this at once and share the backlog. The run stops at the first failure: a server that
    refuses one message now will likely refuse the next; the messages it claimed but did not
    try are released at once for other runs and the sweep. Runs about one query per message
    (the handover, committed before the end of DATA) and a few per batch.
    """
    report = DeliveryReport()
    backend = None
    token = uuid.uuid4().hex
    deadline = time.monotonic() + BATCH_SECONDS
    first_id = message_id
    untried: list[int] = []
    accepted: list[int] = []
    try:
        while len(report.sent) < limit and time.monotonic() < deadline:
            batch = _claim(
                first_id=first_id, limit=min(CLAIM_BATCH, limit - len(report.sent)), token=token
            )
            first_id = None
            if not batch:
                break
            untried = [m.pk for m in batch]
            accepted: list[int] = []
            stop = False
            for message in batch:
                if time.monotonic() >= deadline:
                    stop = True
                    break
                untried.remove(message.pk)
                try:
                    if backend is None:
                        backend = _open_backend()
                    _send(backend, message)
                except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
                    wait = _record_failure(message, exc)
                    if wait is None:
                        report.given_up.append(message.pk)
                    else:
                        report.retries.append((message.pk, wait))
                    stop = True
                    break
                accepted.append(message.pk)
                report.sent.append(message.pk)
            _record_sent(accepted)
            accepted = []
            _release(token, untried)
            untried = []
            if stop:
                break
    finally:
        # Also on an unexpected error (the database went away): record what was accepted and
        # give back the claims not tried.
        with contextlib.suppress(Exception):
            _record_sent(accepted)
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
    """Release claims of dead workers and queue every overdue message; return how many are due.

    A released claim that had not reached the mail server goes back to pending; one that had is
    marked unconfirmed instead (see the module docstring). Messages due for less than ``grace``
    are left to the task queued for them.
    """
    now = now or timezone.now()
    grace = requeue_after() if grace is None else grace
    stuck = Message.objects.stuck(now, SENDING_LEASE)
    stuck.filter(handed_over_at__isnull=False).update(
        state=Message.State.UNCONFIRMED,
        last_error="The worker stopped after handing the message to the mail server and "
        "before hearing its answer; it may have been delivered.",
    )
    stuck.filter(handed_over_at__isnull=True).update(
        state=Message.State.PENDING, next_attempt_at=F("claimed_at")
    )
    count = Message.objects.due(now - grace).count()
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
