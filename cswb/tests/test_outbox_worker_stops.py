"""A real worker killed (kill -9) or stopped (SIGTERM) in the middle of a batch of mail.

The worker is a real Celery worker process over a Redis server of the test's own (the shared one
is never touched), sending to a slow SMTP server of the test's own: each message takes half a
second, a quarter before its content and a quarter after it, so the batch is mid-way when the
worker is stopped. Claims last 6 s here (``OUTBOX_LEASE_SECONDS``; 30 s in production) with a 1 s
server timeout, so a claim holds four messages; after the kill, a real beat runs the sweep every
2 s (``OUTBOX_SWEEP_SECONDS``; 30 s in production).
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from cswb.celery import app
from cswb.outbox import services
from cswb.outbox.models import Message
from cswb.testing.worker import (
    BASE_DIR,
    broker_at,
    database_url,
    start_worker,
    wait_for,
    worker_required,
)

pytestmark = pytest.mark.worker

MESSAGES = 12
LEASE_SECONDS = 6
SWEEP_SECONDS = 2
# The workers leave messages that are merely due to the task queued for them for a minute (the
# sweep's grace is one sweep interval), so that beat's sweep touches only the dead claims.
WORKER_ENV = {"OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS), "OUTBOX_SWEEP_SECONDS": "60"}


@pytest.fixture
def own_broker(transactional_db, own_redis):
    """Point the test's Celery app at ``own_redis``; the workers use it too."""
    if connection.vendor != "postgresql":
        message = (
            "A real worker needs PostgreSQL: the worker process must share the test database, "
            "and SQLite's lives in this process's memory."
        )
        if worker_required():
            pytest.fail(message + " CSWB_REQUIRE_WORKER is set, so this is an error.")
        pytest.skip(message)
    with broker_at(app, own_redis.url(0)):
        yield own_redis.url(0)
    app.conf.task_always_eager = True


@pytest.fixture
def slow_sink(smtp_sink):
    smtp_sink.handler.rcpt_delay = 0.25  # before the content: nothing delivered yet
    smtp_sink.handler.delay = 0.25  # after the final ".": the server already holds it
    return smtp_sink


@pytest.fixture
def beat(own_broker, tmp_path):
    """Run ``celery beat`` (the database scheduler, on the test database) sweeping every 2 s."""
    log = tmp_path / "beat.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": own_broker,
        "OUTBOX_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "DEBUG": "true",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cswb", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "beat-schedule")],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        wait_for(lambda: b"beat: Starting" in log.read_bytes() or process.poll() is not None,
                 timeout=60, what="beat to start")
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _worker(settings, broker: str, sink, *, purge: bool = True):
    return start_worker(
        settings,
        redis_url=broker,
        email_url=f"{sink.url}?timeout=1",
        extra_env=WORKER_ENV,
        purge=purge,
    )


def _queue_batch() -> list[Message]:
    # One transaction: one delivery task, which sends the whole batch over one connection.
    with transaction.atomic():
        return [
            services.message_queue(
                to=f"r{n}@example.org", template="test-message", context={"name": f"R{n}"},
                kind="test",
            )
            for n in range(MESSAGES)
        ]


def _rows(messages) -> dict[str, Message]:
    """Return the messages as stored now, by Message-ID."""
    rows = Message.objects.filter(pk__in=[m.pk for m in messages])
    return {row.headers["Message-ID"]: row for row in rows}


def _received(sink) -> Counter:
    return Counter(m["Message-ID"] for m in list(sink.messages))


def test_a_worker_killed_mid_batch_leaves_no_false_unconfirmed_and_its_mail_goes_within_the_lease(  # noqa: E501
    settings, own_broker, beat, slow_sink
):
    worker = _worker(settings, own_broker, slow_sink)
    try:
        messages = _queue_batch()
        # The second claim (messages 5 to 8) is under way: 6 is in flight, 7 and 8 wait.
        wait_for(lambda: len(slow_sink.messages) >= 6, timeout=60, what="half the batch")
        worker.kill()
        killed_at = time.monotonic()
        at_kill = len(slow_sink.messages)
    finally:
        worker.stop()
    received = _received(slow_sink)
    rows = _rows(messages)
    in_flight = [
        mid for mid, row in rows.items()
        if row.state == Message.State.SENDING and row.handed_over_at is not None
    ]
    # Every message the server holds is recorded as sent, except the one in flight at most.
    assert len(in_flight) <= 1
    for mid in received:
        assert rows[mid].state == Message.State.SENT or mid in in_flight, rows[mid]
    assert {mid for mid, row in rows.items() if row.state == Message.State.SENT} <= set(received)
    assert not [row for row in rows.values() if row.state == Message.State.UNCONFIRMED]
    claimed = [row for row in rows.values() if row.state == Message.State.SENDING]
    assert claimed, "the kill should land while messages are claimed"
    # Each claim ends with its batch's deadline, a few seconds, not ten minutes.
    for row in claimed:
        assert (row.lease_until - row.claimed_at).total_seconds() <= LEASE_SECONDS + 0.5

    # Another worker; beat's sweep gives it the dead claims once their lease is over.
    worker = _worker(settings, own_broker, slow_sink, purge=False)
    try:
        ids = [m.pk for m in messages]
        wait_for(
            lambda: not Message.objects.filter(
                pk__in=ids, state=Message.State.SENDING, handed_over_at__isnull=True
            ).exists(),
            timeout=60,
            interval=0.1,
            what="beat's sweep to release the dead claims",
        )
        freed_after = time.monotonic() - killed_at
        wait_for(
            lambda: Message.objects.filter(pk__in=ids, state=Message.State.SENT).count()
            == MESSAGES - len(in_flight),
            timeout=60,
            interval=0.1,
            what="the rest of the batch to be sent by the second worker",
        )
        delivered_after = time.monotonic() - killed_at
        time.sleep(1)  # any second copy would have arrived by now
    finally:
        app.conf.task_always_eager = True
        worker.stop()
    # The lease (6 s here, counted from before the kill) plus one sweep interval, with room
    # for a busy machine; in production 30 s + 30 s.
    assert freed_after <= LEASE_SECONDS + SWEEP_SECONDS + 5
    received = _received(slow_sink)
    rows = _rows(messages)
    for mid, row in rows.items():
        if mid in in_flight:
            # Killed between handing it over and hearing the answer: possibly sent, never resent.
            assert row.state == Message.State.UNCONFIRMED
            assert received[mid] <= 1
        else:
            assert row.state == Message.State.SENT
            assert received[mid] == 1, f"{mid} delivered {received[mid]} times"
    print(
        f"\nkill -9 after {at_kill} of {MESSAGES} had reached the server; "
        f"{len(claimed)} claimed ({len(in_flight)} in flight); claims free "
        f"{freed_after:.1f} s and the whole batch sent {delivered_after:.1f} s after the kill"
    )


@pytest.mark.parametrize("signalled", ["worker", "worker and its pool processes"])
def test_a_warm_shutdown_stops_the_batch_and_hands_the_rest_to_the_next_worker(
    settings, own_broker, slow_sink, signalled
):
    worker = _worker(settings, own_broker, slow_sink)
    try:
        messages = _queue_batch()
        wait_for(lambda: len(slow_sink.messages) >= 3, timeout=60, what="a few messages")
        stopped_at = time.monotonic()
        if signalled != "worker":
            # systemd's default KillMode: every process of the unit gets SIGTERM at once.
            subprocess.run(["pkill", "-TERM", "-P", str(worker.process.pid)], check=False)
        worker.process.terminate()
        worker.process.wait(30)
        stop_seconds = time.monotonic() - stopped_at
    finally:
        worker.stop()
    received = _received(slow_sink)
    rows = _rows(messages)
    states = Counter(row.state for row in rows.values())
    # The loop stopped after the message it was sending: everything the server holds is
    # recorded sent, nothing is unconfirmed or left claimed, and the rest is pending again.
    assert {mid for mid, row in rows.items() if row.state == Message.State.SENT} == set(received)
    assert states[Message.State.SENT] < MESSAGES
    assert states[Message.State.PENDING] == MESSAGES - states[Message.State.SENT]
    for row in rows.values():
        if row.state == Message.State.PENDING:
            assert (row.attempts, row.claim_token, row.lease_until) == (0, "", None)
    # One message (0.5 s) and Celery's own shutdown (2 to 5 s on a busy machine): within a
    # platform's stop timeout (Docker's 10 s), which the batch alone would not have been.
    assert stop_seconds < 10

    # The rest was queued again at once: the next worker sends it without waiting for a sweep.
    worker = _worker(settings, own_broker, slow_sink, purge=False)
    try:
        wait_for(
            lambda: Message.objects.filter(
                pk__in=[m.pk for m in messages], state=Message.State.SENT
            ).count() == MESSAGES,
            timeout=60,
            what="the next worker to send the rest",
        )
        time.sleep(1)
    finally:
        app.conf.task_always_eager = True
        worker.stop()
    assert set(_received(slow_sink).values()) == {1}
    assert len(_received(slow_sink)) == MESSAGES
    print(
        f"\nSIGTERM to the {signalled} after {len(received)} of {MESSAGES}: stopped in "
        f"{stop_seconds:.1f} s"
    )
