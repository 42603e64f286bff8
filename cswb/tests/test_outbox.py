from datetime import timedelta
from unittest import mock

from django.core import mail
from django.utils import timezone

from cswb.outbox import services
from cswb.outbox.models import Message


def _queue(**kwargs):
    defaults = {
        "to": "resident@example.org",
        "template": "test-message",
        "context": {"name": "Sam"},
        "kind": "test",
    }
    return services.message_queue(**{**defaults, **kwargs})


def test_it_stores_then_sends_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
        assert len(mail.outbox) == 0
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["resident@example.org"]
    assert sent.subject == "Hello Sam"
    assert "Hello Sam, this is a test." in sent.body
    assert sent.alternatives[0].content.startswith("<p>Hello <strong>Sam</strong>")
    assert sent.extra_headers["Message-ID"] == message.headers["Message-ID"]


def test_it_never_queues_the_same_key_twice(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _queue(dedupe_key="update:1:subscriber:2")
        second = _queue(dedupe_key="update:1:subscriber:2")
    assert first is not None and second is None
    assert Message.objects.count() == 1
    assert len(mail.outbox) == 1


def test_it_records_a_failure_and_backs_off(db, django_capture_on_commit_callbacks):
    with mock.patch("cswb.outbox.services.get_connection") as get_connection:
        get_connection.return_value.send_messages.side_effect = ConnectionRefusedError("down")
        message = _queue()
        wait = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert wait == timedelta(seconds=30)
    assert message.state == Message.State.PENDING
    assert "ConnectionRefusedError: down" in message.last_error
    assert message.next_attempt_at > timezone.now()
    assert len(mail.outbox) == 0


def test_it_does_not_send_a_message_twice(db):
    message = _queue()
    services.message_deliver(message_id=message.pk)
    services.message_deliver(message_id=message.pk)
    assert len(mail.outbox) == 1


def test_it_gives_up_after_the_last_attempt(db):
    message = _queue()
    Message.objects.filter(pk=message.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    with mock.patch("cswb.outbox.services.get_connection") as get_connection:
        get_connection.return_value.send_messages.side_effect = OSError("refused")
        assert services.message_deliver(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.state == Message.State.FAILED


def test_the_sweep_sends_due_messages_and_releases_dead_claims(db):
    due = _queue(to="due@example.org")
    stuck = _queue(to="stuck@example.org")
    later = _queue(to="later@example.org")
    now = timezone.now()
    Message.objects.filter(pk=stuck.pk).update(
        state=Message.State.SENDING, claimed_at=now - timedelta(hours=1)
    )
    Message.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))
    assert services.messages_requeue_stale() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["due@example.org", "stuck@example.org"]
    assert Message.objects.get(pk=due.pk).state == Message.State.SENT
    assert Message.objects.get(pk=later.pk).state == Message.State.PENDING
