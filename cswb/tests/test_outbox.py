import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cswb.outbox import services
from cswb.outbox.models import Message
from cswb.testing.smtp import SmtpSink


def _queue(**kwargs):
    defaults = {
        "to": "resident@example.org",
        "template": "test-message",
        "context": {"name": "Sam"},
        "kind": "test",
    }
    return services.message_queue(**{**defaults, **kwargs})


class CountingBackend(LocmemBackend):
    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return super().open()


@pytest.fixture
def sink_settings(settings):
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = services.SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 1
    yield sink
    sink.stop()


def test_it_stores_then_sends_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = _queue()
        assert len(mail.outbox) == 0
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.attempts == 1
    assert message.handed_over_at is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["resident@example.org"]
    assert sent.subject == "Hello Sam"
    assert "Hello Sam, this is a test." in sent.body
    html = sent.alternatives[0].content
    assert html.startswith("<!doctype html>") and '<html lang="en-ca">' in html
    assert "<title>Hello Sam</title>" in html and "<p>Hello <strong>Sam</strong>" in html
    assert sent.extra_headers["Message-ID"] == message.headers["Message-ID"]


def test_one_transaction_asks_the_broker_once_for_all_its_messages(
        db, django_capture_on_commit_callbacks):
    from django.db import transaction

    enqueue = services.enqueue_delivery
    with (mock.patch.object(services, "enqueue_delivery", wraps=enqueue) as ask,
          django_capture_on_commit_callbacks(execute=True), transaction.atomic()):
        first = _queue(to="a@example.org")
        for n in range(3):
            _queue(to=f"{n}@example.org")
    assert [c.args for c in ask.call_args_list] == [(first.pk,)]
    assert Message.objects.filter(state=Message.State.SENT).count() == 4
    assert len(mail.outbox) == 4


def test_a_transaction_with_many_messages_asks_once_per_delivery_batch(
        db, django_capture_on_commit_callbacks, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    with (mock.patch.object(services, "enqueue_delivery") as ask,
          django_capture_on_commit_callbacks(execute=True), transaction.atomic()):
        ids = [_queue(to=f"{n}@example.org").pk for n in range(5)]
    assert [c.args for c in ask.call_args_list] == [(ids[0],), (ids[2],), (ids[4],)]


def test_the_next_transaction_gets_its_own_delivery(db, django_capture_on_commit_callbacks):
    with mock.patch.object(services, "enqueue_delivery") as ask:
        with django_capture_on_commit_callbacks(execute=True):
            one = _queue(to="one@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            two = _queue(to="two@example.org")
    assert [c.args for c in ask.call_args_list] == [(one.pk,), (two.pk,)]


def test_it_gives_every_message_its_own_message_id_when_queued(db):
    first, second = _queue(), _queue(to="other@example.org")
    assert first.headers["Message-ID"].startswith("<outbox-")
    assert first.headers["Message-ID"] != second.headers["Message-ID"]


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


def test_it_doubles_the_wait_up_to_an_hour(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [
        30, 60, 120, 3600, 3600
    ]


def test_it_does_not_send_a_message_twice(db):
    message = _queue()
    services.message_deliver(message_id=message.pk)
    services.message_deliver(message_id=message.pk)
    assert len(mail.outbox) == 1


def test_it_gives_up_after_the_last_attempt(db, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = _queue()
    Message.objects.filter(pk=message.pk).update(attempts=2)
    with mock.patch("cswb.outbox.services.get_connection") as get_connection:
        get_connection.return_value.send_messages.side_effect = OSError("refused")
        assert services.message_deliver(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert message.attempts == 3


def test_it_gives_up_at_once_on_a_permanent_refusal(db):
    message = _queue()
    refusal = smtplib.SMTPRecipientsRefused({"resident@example.org": (550, b"No such user")})
    with mock.patch("cswb.outbox.services.get_connection") as get_connection:
        get_connection.return_value.send_messages.side_effect = refusal
        assert services.message_deliver(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.state == Message.State.FAILED
    assert "No such user" in message.last_error


def test_one_task_sends_a_batch_over_one_connection(db, settings):
    settings.EMAIL_BACKEND = "cswb.tests.test_outbox.CountingBackend"
    CountingBackend.opened = 0
    messages = [_queue(to=f"r{i}@example.org") for i in range(5)]
    report = services.messages_deliver(message_id=messages[-1].pk)
    assert len(report.sent) == 5
    assert report.sent[0] == messages[-1].pk
    assert CountingBackend.opened == 1
    assert len(mail.outbox) == 5
    assert set(Message.objects.values_list("state", flat=True)) == {Message.State.SENT}


def test_it_delivers_through_smtp_and_records_the_handover(db, sink_settings):
    message = _queue()
    assert services.message_deliver(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.state == Message.State.SENT
    assert message.handed_over_at is not None
    assert len(sink_settings.messages) == 1
    received = sink_settings.messages[0]
    assert received["Message-ID"] == message.headers["Message-ID"]
    assert received["Subject"] == "Hello Sam"


def test_it_retries_a_message_the_server_refused_after_data(db, sink_settings):
    sink_settings.handler.refuse_next = 1
    message = _queue()
    wait = services.message_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert wait == timedelta(seconds=30)
    assert message.state == Message.State.PENDING
    assert message.handed_over_at is None
    assert "451" in message.last_error
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert services.message_deliver(message_id=message.pk) is None
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT
    assert len(sink_settings.messages) == 1


def test_it_never_resends_a_message_the_server_may_have_accepted(db, sink_settings):
    # The server takes the whole message but answers only after the client gave up waiting.
    sink_settings.handler.delay = 2
    message = _queue()
    assert services.message_deliver(message_id=message.pk) is None
    message.refresh_from_db()
    assert message.state == Message.State.UNCONFIRMED
    assert message.handed_over_at is not None
    services.messages_requeue_stale(now=timezone.now() + timedelta(hours=2))
    assert Message.objects.get(pk=message.pk).state == Message.State.UNCONFIRMED


def test_the_sweep_sends_overdue_messages_and_handles_dead_claims(db):
    now = timezone.now()
    overdue = _queue(to="overdue@example.org")
    fresh = _queue(to="fresh@example.org")
    later = _queue(to="later@example.org")
    not_handed = _queue(to="not-handed@example.org")
    handed = _queue(to="handed@example.org")
    Message.objects.filter(pk=overdue.pk).update(next_attempt_at=now - timedelta(minutes=5))
    Message.objects.filter(pk=later.pk).update(next_attempt_at=now + timedelta(hours=1))
    Message.objects.filter(pk=not_handed.pk).update(
        state=Message.State.SENDING,
        claimed_at=now - timedelta(hours=1),
        lease_until=now - timedelta(minutes=59),
    )
    Message.objects.filter(pk=handed.pk).update(
        state=Message.State.SENDING,
        claimed_at=now - timedelta(hours=1),
        lease_until=now - timedelta(minutes=59),
        handed_over_at=now - timedelta(hours=1),
    )
    assert services.messages_requeue_stale(now=now) == 2
    # The drain task sends every due message, the fresh one included.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "fresh@example.org", "not-handed@example.org", "overdue@example.org"
    ]
    states = dict(Message.objects.values_list("to_email", "state"))
    assert states["later@example.org"] == Message.State.PENDING
    assert states["handed@example.org"] == Message.State.UNCONFIRMED
    assert states["not-handed@example.org"] == Message.State.SENT
    assert fresh.pk


def test_it_holds_eager_delivery_until_the_request_is_answered(
    db, django_capture_on_commit_callbacks
):
    services.request_started()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message = _queue()
        assert len(mail.outbox) == 0
        assert Message.objects.get(pk=message.pk).state == Message.State.PENDING
    finally:
        services.request_finished()
    assert len(mail.outbox) == 1
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT


def test_a_submission_survives_a_broker_that_is_down(db, django_capture_on_commit_callbacks):
    with mock.patch(
        "cswb.outbox.tasks.deliver.apply_async", side_effect=ConnectionError("broker down")
    ), django_capture_on_commit_callbacks(execute=True):
        message = _queue()
    assert Message.objects.get(pk=message.pk).state == Message.State.PENDING
    assert services.messages_requeue_stale(now=timezone.now() + timedelta(minutes=5)) == 1
    assert Message.objects.get(pk=message.pk).state == Message.State.SENT


def test_it_forgets_messages_by_key_prefix(db):
    kept = _queue(dedupe_key="issue:1:triage:x")
    _queue(dedupe_key="issue:1:resident:ack")
    assert services.messages_forget(dedupe_prefix="issue:1:resident:") == 1
    assert list(Message.objects.values_list("pk", flat=True)) == [kept.pk]


# Admin ---------------------------------------------------------------------------------------


def test_the_kind_filter_offers_the_kinds_of_mail_this_user_may_read_once_each(
    client, role_users
):
    _queue(kind="issues.acknowledgement")
    _queue(to="other@example.org", kind="issues.acknowledgement")
    _queue(to="applicant@example.org", kind="grants.acknowledgement")
    client.force_login(role_users["triage"])
    response = client.get(reverse("admin:outbox_message_changelist"))
    changelist = response.context["cl"]
    (kind_filter,) = (spec for spec in changelist.filter_specs
                      if getattr(spec, "parameter_name", None) == "kind")
    offered = [str(choice["display"]) for choice in kind_filter.choices(changelist)]
    assert offered == ["All", "Acknowledgement to the resident"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("triage", 200), ("lead", 403), ("grant_staff", 200), ("outsider", 403)],
)
def test_only_administrators_and_the_areas_staff_see_the_outbox(client, role_users, who, status):
    _queue(kind="issues.acknowledgement")
    _queue(to="applicant@example.org", kind="grants.acknowledgement")
    client.force_login(role_users[who])
    response = client.get(reverse("admin:outbox_message_changelist"))
    assert response.status_code == status
    if status == 200:
        assert (b"resident@example.org" in response.content) == (who in {"admin", "triage"})
        assert (b"applicant@example.org" in response.content) == (
            who in {"admin", "grant_staff"}
        )


def test_staff_see_why_a_message_failed(client, triage_user):
    message = _queue(kind="issues.acknowledgement")
    Message.objects.filter(pk=message.pk).update(
        state=Message.State.FAILED, last_error="SMTPDataError: 554 rejected"
    )
    client.force_login(triage_user)
    response = client.get(reverse("admin:outbox_message_change", args=[message.pk]))
    assert b"SMTPDataError: 554 rejected" in response.content
    assert b"Failed" in response.content


def test_staff_send_a_failed_message_again(client, triage_user, django_capture_on_commit_callbacks):
    failed = _queue(to="failed@example.org", kind="issues.acknowledgement")
    sent = _queue(to="sent@example.org", kind="issues.acknowledgement")
    Message.objects.filter(pk=failed.pk).update(state=Message.State.FAILED, attempts=8)
    Message.objects.filter(pk=sent.pk).update(state=Message.State.SENT)
    client.force_login(triage_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:outbox_message_changelist"),
            {"action": "retry", "_selected_action": [failed.pk, sent.pk]},
            follow=True,
        )
    assert b"1 message queued again." in response.content
    assert b"1 message was left alone" in response.content
    assert [m.to for m in mail.outbox] == [["failed@example.org"]]
    assert Message.objects.get(pk=failed.pk).state == Message.State.SENT


def test_staff_cannot_queue_again_the_mail_of_another_area(
    client, grant_staff_user, django_capture_on_commit_callbacks
):
    failed = _queue(to="failed@example.org", kind="issues.acknowledgement")
    Message.objects.filter(pk=failed.pk).update(state=Message.State.FAILED, attempts=8)
    client.force_login(grant_staff_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:outbox_message_changelist"),
            {"action": "retry", "_selected_action": [failed.pk]},
        )
    assert Message.objects.get(pk=failed.pk).state == Message.State.FAILED
    assert mail.outbox == []


def test_two_runs_never_claim_the_same_message(db):
    ids = [_queue(to=f"r{i}@example.org").pk for i in range(5)]
    first = services._claim(first_id=ids[4], limit=3, token="a" * 32)
    second = services._claim(first_id=None, limit=5, token="b" * 32)
    assert first[0].pk == ids[4]
    assert len(first) == 3 and len(second) == 2
    assert not {m.pk for m in first} & {m.pk for m in second}
    assert services._claim(first_id=None, limit=5, token="c" * 32) == []


def test_a_failure_gives_back_the_rest_of_the_batch(db):
    ids = [_queue(to=f"r{i}@example.org").pk for i in range(3)]
    with mock.patch("cswb.outbox.services.get_connection") as get_connection:
        get_connection.return_value.send_messages.side_effect = OSError("down")
        report = services.messages_deliver(message_id=ids[1])
    assert [failed for failed, _wait in report.retries] == [ids[1]]
    rows = {m.pk: m for m in Message.objects.all()}
    assert rows[ids[1]].attempts == 1 and rows[ids[1]].next_attempt_at > timezone.now()
    for other in (ids[0], ids[2]):
        assert rows[other].state == Message.State.PENDING
        assert rows[other].attempts == 0
        assert rows[other].next_attempt_at <= timezone.now()


def test_every_html_email_is_a_page_in_the_sites_language(settings):
    names = sorted(p.name.removesuffix("-body.html")
                   for p in (settings.BASE_DIR / "templates" / "emails").glob("*-body.html"))
    assert len(names) > 20
    for name in names:
        subject, _text, html = services.render_email(name, {})
        assert html.startswith("<!doctype html>"), name
        assert '<html lang="en-ca">' in html, name
        assert f"<title>{escape(subject)}</title>" in html, name
        assert html.count("<body>") == 1 and html.rstrip().endswith("</html>"), name


def test_staff_confirm_before_a_possibly_delivered_message_is_sent_again(
    client, triage_user, django_capture_on_commit_callbacks
):
    unconfirmed = _queue(to="maybe@example.org", kind="issues.acknowledgement")
    failed = _queue(to="failed@example.org", kind="issues.acknowledgement")
    Message.objects.filter(pk=unconfirmed.pk).update(
        state=Message.State.UNCONFIRMED, handed_over_at=timezone.now()
    )
    Message.objects.filter(pk=failed.pk).update(state=Message.State.FAILED, attempts=8)
    client.force_login(triage_user)
    selection = {"action": "retry", "_selected_action": [unconfirmed.pk, failed.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:outbox_message_changelist"), selection)
    # A warning with what is known, and nothing sent yet.
    assert response.status_code == 200
    content = response.content.decode()
    assert "probably been delivered already" in content
    assert unconfirmed.headers["Message-ID"].strip("<>") in content
    assert "maybe@example.org" in content and "failed@example.org" not in content
    assert mail.outbox == []
    assert Message.objects.get(pk=unconfirmed.pk).state == Message.State.UNCONFIRMED
    assert Message.objects.get(pk=failed.pk).state == Message.State.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:outbox_message_changelist"), {**selection, "confirm": "yes"},
            follow=True,
        )
    assert b"2 messages queued again." in response.content
    assert sorted(m.to[0] for m in mail.outbox) == ["failed@example.org", "maybe@example.org"]
