"""Delivery through a real Celery worker over Redis, to a local SMTP sink."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cswb.celery import app
from cswb.outbox import services
from cswb.outbox.models import Message
from cswb.testing.worker import broker_down, start_worker, wait_for


def _queue(name="Ada"):
    return services.message_queue(
        to="resident@example.org", template="test-message", context={"name": name}, kind="test"
    )


@pytest.fixture
def fast_worker(transactional_db, settings, smtp_sink):
    """A worker whose retries come after 1 s, 2 s ... instead of 30 s, 1 min ..."""
    worker = start_worker(
        settings, email_url=smtp_sink.url, extra_env={"OUTBOX_RETRY_BASE_SECONDS": "1"}
    )
    yield worker
    app.conf.task_always_eager = True
    worker.stop()


def _state(message):
    return Message.objects.get(pk=message.pk).state


@pytest.mark.worker
def test_a_real_worker_delivers_queued_mail(celery_worker, smtp_sink):
    message = _queue()
    # Autocommit: the on_commit hook has already handed the message to the broker.
    wait_for(lambda: len(smtp_sink.messages) == 1, what="the sink to receive the mail")
    wait_for(lambda: _state(message) == Message.State.SENT, what="the message to be marked sent")
    assert smtp_sink.messages[0]["Subject"] == "Hello Ada"
    assert smtp_sink.messages[0]["To"] == "resident@example.org"
    assert smtp_sink.messages[0]["Message-ID"] == message.headers["Message-ID"]


@pytest.mark.worker
def test_it_retries_when_the_server_refuses_then_delivers_once(fast_worker, smtp_sink):
    smtp_sink.handler.refuse_next = 2
    message = _queue()
    wait_for(lambda: _state(message) == Message.State.SENT, timeout=30, what="delivery")
    row = Message.objects.get(pk=message.pk)
    assert row.attempts == 3
    time.sleep(1.5)  # any stray retry would have arrived by now
    assert len(smtp_sink.messages) == 1


@pytest.mark.worker
def test_mail_queued_while_the_broker_is_down_goes_out_after_it_returns(fast_worker, smtp_sink):
    with broker_down(app):
        started = time.monotonic()
        message = _queue()
        assert time.monotonic() - started < 10
    time.sleep(1)
    assert _state(message) == Message.State.PENDING
    assert smtp_sink.messages == []
    # The periodic sweep, a few minutes later, finds it.
    assert services.messages_requeue_stale(now=timezone.now() + timedelta(minutes=5)) == 1
    wait_for(lambda: _state(message) == Message.State.SENT, what="delivery after the sweep")
    assert len(smtp_sink.messages) == 1


@pytest.mark.worker
def test_a_worker_killed_after_handing_over_a_message_does_not_send_it_twice(
    transactional_db, settings, smtp_sink
):
    # The server holds the message for 3 s before answering: the worker dies in between.
    smtp_sink.handler.delay = 3
    worker = start_worker(settings, email_url=smtp_sink.url)
    try:
        message = _queue()
        wait_for(
            lambda: Message.objects.get(pk=message.pk).handed_over_at is not None,
            what="the message to reach the server",
        )
        worker.kill()
    finally:
        worker.stop()
    wait_for(lambda: len(smtp_sink.messages) == 1, what="the server to keep the message")
    assert _state(message) == Message.State.SENDING
    # Once the claim's lease is over, the sweep finds it; a new worker must not send it again.
    smtp_sink.handler.delay = 0
    worker = start_worker(settings, email_url=smtp_sink.url)
    try:
        services.messages_requeue_stale(now=timezone.now() + timedelta(hours=1))
        assert _state(message) == Message.State.UNCONFIRMED
        services.enqueue_delivery(message.pk)
        time.sleep(2)
    finally:
        app.conf.task_always_eager = True
        worker.stop()
    assert len(smtp_sink.messages) == 1


@pytest.mark.worker
def test_a_worker_killed_before_handing_over_a_message_sends_it_later_once(
    transactional_db, settings, smtp_sink
):
    # The server is slow to accept the recipient: the message itself has not left yet.
    smtp_sink.handler.rcpt_delay = 5
    worker = start_worker(settings, email_url=smtp_sink.url)
    try:
        message = _queue()
        wait_for(lambda: _state(message) == Message.State.SENDING, what="the claim")
        time.sleep(0.5)
        worker.kill()
    finally:
        worker.stop()
    assert Message.objects.get(pk=message.pk).handed_over_at is None
    smtp_sink.handler.rcpt_delay = 0
    worker = start_worker(settings, email_url=smtp_sink.url)
    try:
        services.messages_requeue_stale(now=timezone.now() + timedelta(hours=1))
        wait_for(lambda: _state(message) == Message.State.SENT, what="the second attempt")
        time.sleep(1)
    finally:
        app.conf.task_always_eager = True
        worker.stop()
    assert len(smtp_sink.messages) == 1
    assert Message.objects.get(pk=message.pk).attempts == 2
