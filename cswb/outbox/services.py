"""Queue and deliver outgoing mail through the database outbox."""

import logging
import socket
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from cswb.outbox.models import Message

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claimed message not reported back within this time belongs to a worker that died.
SENDING_LEASE = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: 30 s, 1 min, 2 min ... capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    """Render ``emails/<template>-subject.txt``, ``-body.txt`` and ``-body.html``."""
    context = {"SITE_URL": settings.SITE_URL, "SITE_NAME": settings.SITE_NAME, **context}
    subject = render_to_string(f"emails/{template}-subject.txt", context)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    return subject, text, html


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
    try:
        with transaction.atomic():
            message = Message.objects.create(
                kind=kind or template,
                to_email=to,
                subject=subject,
                body_text=text,
                body_html=html,
                headers=headers or {},
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Message.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    transaction.on_commit(lambda: enqueue_delivery(message.pk))
    return message


def enqueue_delivery(message_id: int, *, countdown: float | None = None) -> bool:
    """Hand a message to the broker; when the broker is down, leave it for the periodic sweep."""
    from cswb.outbox.tasks import deliver

    try:
        deliver.apply_async((message_id,), countdown=countdown, retry=False)
    except Exception as exc:  # noqa: BLE001 - any broker failure: the row stays pending
        log.warning("outbox: could not queue message %s (%s); the sweep retries", message_id, exc)
        return False
    return True


def _message_id(message: Message) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or socket.getfqdn()
    return make_msgid(idstring=f"outbox-{message.pk}", domain=domain)


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


def message_deliver(*, message_id: int) -> timedelta | None:
    """Send one due message; return the wait before a retry, or ``None`` when done.

    The row is claimed with a conditional UPDATE (pending -> sending), so two workers handed the
    same message never both send it.
    """
    now = timezone.now()
    claimed = Message.objects.due(now).filter(pk=message_id).update(
        state=Message.State.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None
    message = Message.objects.get(pk=message_id)
    if "Message-ID" not in message.headers:
        # Fix the Message-ID before the first try: every retry carries the same one, so a
        # receiving system that saw an earlier copy can drop the repeat.
        message.headers["Message-ID"] = _message_id(message)
        Message.objects.filter(pk=message_id).update(headers=message.headers)
    try:
        get_connection().send_messages([_build(message)])
    except Exception as exc:  # noqa: BLE001 - every failure is recorded and retried
        failed = message.attempts >= MAX_ATTEMPTS
        wait = backoff(message.attempts)
        Message.objects.filter(pk=message_id, state=Message.State.SENDING).update(
            state=Message.State.FAILED if failed else Message.State.PENDING,
            next_attempt_at=timezone.now() + wait,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        log.warning("outbox: message %s attempt %s failed: %s", message_id, message.attempts, exc)
        return None if failed else wait
    Message.objects.filter(pk=message_id).update(
        state=Message.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return None


def message_retry(*, message: Message) -> None:
    """Put a failed or stuck message back in the queue now (staff action)."""
    Message.objects.filter(pk=message.pk).exclude(state=Message.State.SENT).update(
        state=Message.State.PENDING, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: enqueue_delivery(message.pk))


def messages_requeue_stale(*, now=None) -> int:
    """Queue every due message again and release claims of workers that died; return how many."""
    now = now or timezone.now()
    Message.objects.stuck(now, SENDING_LEASE).update(
        state=Message.State.PENDING, next_attempt_at=now
    )
    ids = list(Message.objects.due(now).values_list("pk", flat=True)[:5000])
    for message_id in ids:
        enqueue_delivery(message_id)
    return len(ids)
