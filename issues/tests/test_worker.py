"""Issue mail through a real Celery worker over Redis, to a local SMTP sink."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cswb.celery import app
from cswb.outbox import services as outbox
from cswb.outbox.models import Message
from cswb.testing.worker import broker_down, wait_for
from issues.models import Issue, TriageContact


def _named(form_data):
    return form_data(
        contact="named", name="Sam Resident", email="sam@example.org", consent_to_contact="on"
    )


def _subjects(sink):
    return sorted(str(m["Subject"]) for m in sink.messages)


@pytest.mark.worker
def test_a_submission_is_acknowledged_through_the_worker(client, form_data, celery_worker,
                                                         smtp_sink):
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    response = client.post("/issues/new/", _named(form_data))
    assert response.status_code == 302
    issue = Issue.objects.get()
    wait_for(lambda: len(smtp_sink.messages) == 2, what="both emails")
    by_recipient = {str(m["To"]): m for m in smtp_sink.messages}
    assert issue.reference in str(by_recipient["sam@example.org"]["Subject"])
    assert issue.reference in str(by_recipient["cswb@halton.example"]["Subject"])


@pytest.mark.worker
def test_a_submission_while_the_broker_is_down_is_saved_and_mailed_later(
    client, form_data, celery_worker, smtp_sink
):
    TriageContact.objects.create(name="CSWB Team", email="cswb@halton.example")
    with broker_down(app):
        response = client.post("/issues/new/", _named(form_data))
    assert response.status_code == 302
    issue = Issue.objects.get()
    assert Message.objects.filter(state=Message.State.PENDING).count() == 2
    assert smtp_sink.messages == []
    # The broker is back; the periodic sweep finds the mail a few minutes later.
    assert outbox.messages_requeue_stale(now=timezone.now() + timedelta(minutes=5)) == 2
    wait_for(lambda: len(smtp_sink.messages) == 2, what="the mail after the sweep")
    wait_for(
        lambda: set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT},
        what="both messages marked sent",
    )
    assert any(issue.reference in subject for subject in _subjects(smtp_sink))


@pytest.mark.worker
def test_a_submission_while_the_mail_server_refuses_is_mailed_once_it_accepts(
    client, form_data, celery_worker, smtp_sink
):
    smtp_sink.handler.refuse_next = 1
    response = client.post("/issues/new/", _named(form_data))
    assert response.status_code == 302
    message = Message.objects.get(to_email="sam@example.org")
    wait_for(
        lambda: Message.objects.get(pk=message.pk).attempts == 1
        and Message.objects.get(pk=message.pk).state == Message.State.PENDING,
        what="the refused first attempt",
    )
    assert smtp_sink.messages == []
    # Its backoff (30 s here) has passed: the sweep queues it again.
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    outbox.messages_requeue_stale(now=timezone.now() + timedelta(minutes=5))
    wait_for(lambda: Message.objects.get(pk=message.pk).state == Message.State.SENT,
             what="the second attempt")
    assert len(smtp_sink.messages) == 1
