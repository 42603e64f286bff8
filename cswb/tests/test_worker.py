import pytest

from cswb.outbox import services
from cswb.outbox.models import Message
from cswb.testing.worker import wait_for


@pytest.mark.worker
def test_a_real_worker_delivers_queued_mail(celery_worker, smtp_sink):
    message = services.message_queue(
        to="resident@example.org", template="test-message", context={"name": "Ada"}, kind="test"
    )
    # Autocommit: the on_commit hook has already handed the message to the broker.
    wait_for(lambda: len(smtp_sink.messages) == 1, what="the sink to receive the mail")
    wait_for(
        lambda: Message.objects.get(pk=message.pk).state == Message.State.SENT,
        what="the message to be marked sent",
    )
    assert smtp_sink.messages[0]["Subject"] == "Hello Ada"
    assert smtp_sink.messages[0]["To"] == "resident@example.org"
