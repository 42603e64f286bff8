"""Following a table through a real Celery worker over Redis, to a local SMTP sink."""

import time

import pytest

from actiontables import services, tasks
from actiontables.models import ProgressUpdate
from actiontables.tests.factories import (
    ActionTableFactory,
    ProgressUpdateFactory,
    SubscriptionFactory,
)
from cswb.outbox.models import Message
from cswb.testing.worker import wait_for


@pytest.mark.worker
def test_a_published_update_reaches_each_follower_once(celery_worker, smtp_sink):
    table = ActionTableFactory(name="Food Security")
    SubscriptionFactory(table=table, email="one@example.net")
    SubscriptionFactory(table=table, email="two@example.net")
    SubscriptionFactory(table=table, email="pending@example.net", confirmed_at=None)
    update = ProgressUpdateFactory(
        table=table, title="Hub opens", status=ProgressUpdate.Status.DRAFT, published_at=None
    )

    update.status = ProgressUpdate.Status.PUBLISHED
    services.progress_update_save(update=update)  # autocommit: the task is queued now
    wait_for(lambda: len(smtp_sink.messages) == 2, what="two update emails")
    # The task runs again (a retry, a second publication): no one is mailed twice.
    tasks.notify_followers.delay(update.pk)
    wait_for(
        lambda: not Message.objects.exclude(state=Message.State.SENT).exists(),
        what="the outbox to drain",
    )
    time.sleep(2)

    assert sorted(m["To"] for m in smtp_sink.messages) == ["one@example.net", "two@example.net"]
    assert all("Hub opens" in m["Subject"] for m in smtp_sink.messages)
    assert all(m["List-Unsubscribe"] for m in smtp_sink.messages)


@pytest.mark.worker
def test_a_confirmation_email_goes_out_through_the_worker(celery_worker, smtp_sink):
    table = ActionTableFactory(name="Food Security")

    services.subscription_request(table=table, email="new@example.net")

    wait_for(lambda: len(smtp_sink.messages) == 1, what="the confirmation email")
    assert "Confirm you want updates from Food Security" in smtp_sink.messages[0]["Subject"]
