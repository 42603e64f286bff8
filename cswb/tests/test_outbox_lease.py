"""The outbox's claims: each result recorded at once, a lease that is the batch's deadline, a
stop between two messages on a warm shutdown. The same through a real worker killed mid-batch is
in ``test_outbox_worker_stops``."""

import subprocess
import sys
import textwrap
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from cswb.outbox import services, tasks
from cswb.outbox.models import Message
from cswb.testing.smtp import SmtpSink


def _queue(n=0):
    return services.message_queue(
        to=f"r{n}@example.org", template="test-message", context={"name": f"R{n}"}, kind="test"
    )


class CheckingBackend(LocmemBackend):
    """Locmem, noting before each send which messages the database already calls sent."""

    seen = []

    def send_messages(self, messages):
        CheckingBackend.seen.append(
            set(Message.objects.filter(state=Message.State.SENT).values_list("pk", flat=True))
        )
        return super().send_messages(messages)


def test_it_records_each_message_as_sent_before_sending_the_next(db, settings):
    settings.EMAIL_BACKEND = "cswb.tests.test_outbox_lease.CheckingBackend"
    CheckingBackend.seen = []
    ids = [_queue(n).pk for n in range(4)]
    report = services.messages_deliver(message_id=ids[0])
    assert report.sent == ids
    # Before the k-th send, the k messages before it are already committed as sent.
    assert CheckingBackend.seen == [set(report.sent[:k]) for k in range(4)]


def test_a_claim_holds_what_fits_in_the_lease_for_just_that_long(db, settings):
    settings.EMAIL_TIMEOUT = 10
    settings.OUTBOX_LEASE_SECONDS = 45
    # Before the first send: one server timeout per message, and two for the last one.
    assert services.claim_plan() == (2, timedelta(seconds=40))
    # Sends that took 0.2 s: reckoned at 0.4 s each, as many as fit, at most CLAIM_BATCH.
    assert services.claim_plan(0.2) == (25, timedelta(seconds=30))
    # Slow sends: fewer messages, never more than the lease.
    assert services.claim_plan(7.0) == (2, timedelta(seconds=40))
    settings.EMAIL_TIMEOUT = 60
    assert services.claim_plan()[0] == 1  # a timeout over the lease: one message at a time
    settings.EMAIL_TIMEOUT = 10
    ids = [_queue(n).pk for n in range(5)]
    before = timezone.now()
    claimed = services._claim(first_id=None, limit=3, token="t" * 32, lease=timedelta(seconds=40))
    assert [m.pk for m in claimed] == ids[:3]
    for message in claimed:
        assert timedelta(seconds=39) < message.lease_until - before < timedelta(seconds=42)
        assert message.claimed_at is not None and message.claim_token == "t" * 32


def test_with_the_shipped_settings_a_stopped_workers_mail_waits_about_a_minute(settings):
    # What production runs with: SMTP's 10 s timeout (EMAIL_URL's default) and the beat entry.
    settings.EMAIL_TIMEOUT = 10
    settings.OUTBOX_LEASE_SECONDS = 30
    assert django_settings.OUTBOX_LEASE_SECONDS == 30
    sweep = django_settings.CELERY_BEAT_SCHEDULE["outbox-requeue-stale"]["schedule"]
    for seconds_per_message in (None, 0.005, 0.5, 3, 10, 60):
        _count, lease = services.claim_plan(seconds_per_message)
        assert lease.total_seconds() <= services.lease_seconds()
        assert lease.total_seconds() + sweep <= 60


def test_a_fast_server_gets_bigger_claims_after_the_first(db, settings):
    settings.EMAIL_TIMEOUT = 10
    ids = [_queue(n).pk for n in range(30)]
    with mock.patch.object(services, "_claim", wraps=services._claim) as claim:
        report = services.messages_deliver(message_id=ids[0])
    assert report.sent == ids
    sizes = [c.kwargs["limit"] for c in claim.call_args_list]
    assert sizes[0] == 1 and sizes[1] == services.CLAIM_BATCH


def test_it_never_hands_over_a_message_once_its_claim_ran_out(db, settings):
    sink = SmtpSink().start()
    try:
        settings.EMAIL_BACKEND = services.SMTP_BACKEND
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1
        # The claim leaves 2.2 s, enough to start (two 1 s timeouts); the server takes 1.4 s
        # before the content: at the handover less than one answer's time is left, so the run
        # abandons the message.
        sink.handler.mail_delay = sink.handler.rcpt_delay = 0.7
        message = _queue()
        with mock.patch.object(services, "claim_plan", return_value=(1, timedelta(seconds=2.2))):
            report = services.messages_deliver(message_id=message.pk)
        assert report.sent == []
        assert sink.messages == []
    finally:
        sink.stop()
    message.refresh_from_db()
    assert message.state == Message.State.PENDING
    assert message.handed_over_at is None
    assert message.attempts == 1
    assert "ClaimLost" in message.last_error
    assert [pk for pk, _wait in report.retries] == [message.pk]


def test_it_does_not_start_a_message_its_claim_has_no_time_left_for(db, settings):
    settings.EMAIL_TIMEOUT = 1
    ids = [_queue(n).pk for n in range(3)]
    # A lease shorter than two answers' time: nothing is tried, everything given back as it was.
    with mock.patch.object(services, "claim_plan", return_value=(3, timedelta(seconds=1.9))):
        report = services.messages_deliver(message_id=ids[0], limit=1)
    assert report.sent == []
    assert mail.outbox == []
    rows = Message.objects.filter(pk__in=ids)
    assert {(m.state, m.attempts, m.claim_token, m.lease_until) for m in rows} == {
        (Message.State.PENDING, 0, "", None)
    }


def test_the_sweep_gives_an_expired_claim_to_another_run_at_once(db, settings):
    settings.EMAIL_TIMEOUT = 1
    lost, handed, alive = (_queue(n) for n in range(3))
    services._claim(first_id=lost.pk, limit=1, token="a" * 32, lease=timedelta(seconds=-1))
    services._claim(first_id=handed.pk, limit=1, token="b" * 32, lease=timedelta(seconds=-1))
    Message.objects.filter(pk=handed.pk).update(handed_over_at=timezone.now())
    services._claim(first_id=alive.pk, limit=1, token="c" * 32, lease=timedelta(minutes=1))
    # Due only moments ago, yet sent now: a released claim does not wait for the grace period.
    assert services.messages_requeue_stale() == 1
    states = {m.pk: m.state for m in Message.objects.all()}
    assert states == {
        lost.pk: Message.State.SENT,
        handed.pk: Message.State.UNCONFIRMED,
        alive.pk: Message.State.SENDING,
    }
    assert [m.to for m in mail.outbox] == [[lost.to_email]]


def test_an_answer_heard_after_the_sweep_gave_up_still_marks_the_message_sent(db):
    message = _queue()
    services._claim(first_id=message.pk, limit=1, token="a" * 32, lease=timedelta(seconds=-1))
    Message.objects.filter(pk=message.pk).update(handed_over_at=timezone.now())
    services.messages_requeue_stale()
    assert Message.objects.get(pk=message.pk).state == Message.State.UNCONFIRMED
    services._record_sent(message.pk, "a" * 32)
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT
    # Another run's token changes nothing.
    other = _queue(1)
    services._claim(first_id=other.pk, limit=1, token="b" * 32)
    services._record_sent(other.pk, "a" * 32)
    assert Message.objects.get(pk=other.pk).state == Message.State.SENDING


def test_a_warm_shutdown_stops_the_batch_and_gives_back_what_it_did_not_start(db):
    ids = [_queue(n).pk for n in range(5)]
    # The worker is told to stop while the second message is being sent.
    with (
        mock.patch.object(
            services, "worker_stop_requested", side_effect=lambda: len(mail.outbox) >= 2
        ),
        mock.patch.object(services, "enqueue_drain") as drain,
    ):
        sent = tasks.deliver(ids[0])
    assert sent == 2
    assert drain.call_count == 1  # the rest are queued again at once, for another worker
    rows = {m.pk: m for m in Message.objects.all()}
    assert [rows[pk].state for pk in ids[:2]] == [Message.State.SENT] * 2
    for pk in ids[2:]:
        assert (rows[pk].state, rows[pk].attempts, rows[pk].claim_token, rows[pk].lease_until) == (
            Message.State.PENDING, 0, "", None
        )
    assert len(mail.outbox) == 2


def test_a_failure_does_not_queue_a_drain_that_would_hammer_the_server(db):
    message = _queue()
    with (
        mock.patch("cswb.outbox.services.get_connection") as get_connection,
        mock.patch.object(services, "enqueue_drain") as drain,
        mock.patch.object(services, "enqueue_delivery") as retry,
    ):
        get_connection.return_value.send_messages.side_effect = OSError("down")
        assert tasks.deliver(message.pk) == 0
    assert drain.call_count == 0
    assert [c.args for c in retry.call_args_list] == [(message.pk,)]


def test_the_shutdown_flag_reaches_processes_forked_after_it_was_made():
    # The worker's main process makes the flag (worker_init), forks its pool, then gets SIGTERM.
    script = textwrap.dedent(
        """
        import os, signal, sys, time
        from cswb.lib import tasks
        tasks.watch_for_shutdown()
        assert not tasks.worker_stop_requested()
        pid = os.fork()
        if pid == 0:
            tasks.mark_pool_process()
            deadline = time.monotonic() + 5
            while not tasks.worker_stop_requested() and time.monotonic() < deadline:
                time.sleep(0.01)
            os._exit(0 if tasks.worker_stop_requested() else 1)
        time.sleep(0.2)
        tasks.announce_shutdown()
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode()


def test_a_pool_process_sent_sigterm_mid_loop_finishes_the_item_then_ends():
    script = textwrap.dedent(
        """
        import os, signal, sys
        from cswb.lib import tasks
        tasks.watch_for_shutdown()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as Celery leaves pool processes
            tasks.mark_pool_process()
            with tasks.stop_on_sigterm():
                os.kill(os.getpid(), signal.SIGTERM)
                print("stop requested:", tasks.worker_stop_requested(), flush=True)
            print("not reached", flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("exit:", os.waitstatus_to_exitcode(status), flush=True)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert result.stdout.decode().split("\n")[:2] == ["stop requested: True", "exit: -15"], (
        result.stdout.decode() + result.stderr.decode()
    )


@pytest.mark.parametrize("pool", [False, True])
def test_outside_a_pool_process_sigterm_is_left_alone(pool, monkeypatch):
    import signal

    from cswb.lib import tasks as lib_tasks

    monkeypatch.setattr(lib_tasks, "_pool_process", pool)
    before = signal.getsignal(signal.SIGTERM)
    with lib_tasks.stop_on_sigterm():
        inside = signal.getsignal(signal.SIGTERM)
    assert (inside is before) == (not pool)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_pool_process_signalled_with_its_whole_worker_ends_its_task_normally():
    # SIGTERM to every process of the worker (systemd's default): the main process raises the
    # flag, so the pool process finishes its task and leaves stopping to Celery.
    script = textwrap.dedent(
        """
        import os, signal, sys
        from cswb.lib import tasks
        tasks.watch_for_shutdown()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            tasks.mark_pool_process()
            with tasks.stop_on_sigterm():
                tasks.announce_shutdown()  # the main process's handler, through shared memory
                os.kill(os.getpid(), signal.SIGTERM)
            print("task ended normally", flush=True)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print("exit:", os.waitstatus_to_exitcode(status), flush=True)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30)
    assert result.stdout.decode().split("\n")[:2] == ["task ended normally", "exit: 0"], (
        result.stdout.decode() + result.stderr.decode()
    )


def test_it_warns_when_the_mail_timeout_does_not_fit_in_the_lease(settings):
    from cswb.outbox.checks import check_lease_fits_the_mail_timeout

    settings.OUTBOX_LEASE_SECONDS = 30
    settings.EMAIL_TIMEOUT = 10
    assert check_lease_fits_the_mail_timeout(None) == []
    settings.EMAIL_TIMEOUT = 20
    [warning] = check_lease_fits_the_mail_timeout(None)
    assert warning.id == "outbox.W001"
    assert "lasts 60 s" in warning.msg
