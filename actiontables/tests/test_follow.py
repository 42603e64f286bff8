"""Following a table: double opt-in, one mail per update and subscriber, one-click unsubscribe."""

import re
import time

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from actiontables import services
from actiontables.models import ProgressUpdate, Subscription
from actiontables.tests.factories import (
    ActionTableFactory,
    ProgressUpdateFactory,
    SubscriptionFactory,
)
from cswb.lib.forms import MIN_FILL_SECONDS
from cswb.outbox.models import Message

pytestmark = pytest.mark.django_db


def started_token(seconds_ago=MIN_FILL_SECONDS + 1):
    return signing.dumps(time.time() - seconds_ago, salt="form-started")


def follow(client, table, email, **extra):
    data = {"email": email, "website": "", "started": started_token(), **extra}
    return client.post(reverse("actiontables:follow", args=[table.slug]), data)


def links_in(message_body: str) -> list[str]:
    return re.findall(r"https?://\S+", message_body)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.fixture
def table():
    return ActionTableFactory(name="Food Security", slug="food-security")


def test_it_runs_the_whole_flow_confirm_update_mail_unsubscribe(
    client, table, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = follow(client, table, "Resident@Example.net ")
    assert response.status_code == 302
    assert response["Location"] == reverse("actiontables:follow_sent", args=[table.slug])
    subscription = Subscription.objects.get()
    assert subscription.email == "resident@example.net"
    assert subscription.confirmed_at is None
    assert len(mail.outbox) == 1
    confirm_link = next(link for link in links_in(mail.outbox[0].body) if "/confirm/" in link)

    page = client.get(path_of(confirm_link))
    assert page.status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None  # a GET (a mail scanner) confirms nothing
    assert client.post(path_of(confirm_link)).status_code == 200
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None

    update = ProgressUpdateFactory(
        table=table, title="Food hub opens", status=ProgressUpdate.Status.DRAFT, published_at=None
    )
    update.status = ProgressUpdate.Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=update)
    update_mails = [m for m in mail.outbox if "Food hub opens" in m.subject]
    assert len(update_mails) == 1
    assert update_mails[0].to == ["resident@example.net"]
    unsubscribe_link = update_mails[0].extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe_link in update_mails[0].body

    assert client.post(path_of(unsubscribe_link)).status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None

    second = ProgressUpdateFactory(table=table, title="Second update", published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=second)
    assert not [m for m in mail.outbox if "Second update" in m.subject]


def test_it_mails_an_update_once_even_when_published_again(
    table, django_capture_on_commit_callbacks
):
    SubscriptionFactory(table=table, email="a@example.net")
    SubscriptionFactory(table=table, email="b@example.net")
    SubscriptionFactory(table=table, email="pending@example.net", confirmed_at=None)
    update = ProgressUpdateFactory(table=table, published_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=update)
    # Withdrawn, published again, and the task run a second time by hand: nobody gets a repeat.
    update.status = ProgressUpdate.Status.DRAFT
    services.progress_update_save(update=update)
    update.status = ProgressUpdate.Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=update)
    assert services.progress_update_notify(update_id=update.pk) == 0

    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.net", "b@example.net"]
    assert Message.objects.filter(kind="actiontables.update").count() == 2


def test_it_queues_the_task_only_after_commit(
    table, django_capture_on_commit_callbacks, monkeypatch
):
    from actiontables import tasks

    queued = []
    monkeypatch.setattr(
        tasks.notify_followers, "apply_async", lambda args, **options: queued.extend(args)
    )
    SubscriptionFactory(table=table)
    update = ProgressUpdateFactory(table=table, published_at=None)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.progress_update_save(update=update)
    assert queued == []
    for callback in callbacks:
        callback()

    assert queued == [update.pk]


def test_followers_are_mailed_through_the_outbox_when_the_broker_is_down(
    table, django_capture_on_commit_callbacks, monkeypatch
):
    from actiontables import tasks

    def down(*args, **kwargs):
        raise ConnectionError("the broker does not answer")

    monkeypatch.setattr(tasks.notify_followers, "apply_async", down)
    SubscriptionFactory(table=table, email="reader@example.net")
    update = ProgressUpdateFactory(table=table, published_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=update)

    assert list(Message.objects.values_list("to_email", flat=True)) == ["reader@example.net"]


def test_it_does_not_mail_drafts(table, django_capture_on_commit_callbacks):
    SubscriptionFactory(table=table)
    update = ProgressUpdateFactory(table=table, status="draft", published_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.progress_update_save(update=update)

    assert mail.outbox == []
    assert update.published_at is None


@pytest.mark.parametrize(
    ("email", "message"),
    [("", "Enter your email address."), ("not-an-address", "Enter an email address in the form")],
)
def test_it_refuses_a_bad_email_and_keeps_what_was_typed(client, table, email, message):
    response = follow(client, table, email)

    assert response.status_code == 400
    text = response.content.decode()
    assert message in text
    assert 'id="error-summary"' in text
    if email:
        assert f'value="{email}"' in text
    assert not Subscription.objects.exists()


def test_it_refuses_a_filled_honeypot(client, table):
    response = follow(client, table, "bot@example.net", website="http://spam.example")

    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_it_refuses_a_form_sent_too_fast(client, table):
    response = follow(client, table, "fast@example.net", started=started_token(0))

    assert response.status_code == 400
    assert "too quickly" in response.content.decode()


def test_it_rate_limits_follow_requests(client, table):
    for n in range(10):
        follow(client, table, f"person{n}@example.net")

    response = follow(client, table, "one-more@example.net")

    assert response.status_code == 429
    assert 'value="one-more@example.net"' in response.content.decode()
    assert not Subscription.objects.filter(email="one-more@example.net").exists()


def test_a_mistyped_address_does_not_count_towards_the_limit(client, table):
    for _ in range(12):
        assert follow(client, table, "not-an-address").status_code == 400

    assert follow(client, table, "typed-right@example.net").status_code == 302


def test_it_answers_a_repeated_request_without_revealing_who_follows(
    client, table, django_capture_on_commit_callbacks
):
    SubscriptionFactory(table=table, email="known@example.net")

    with django_capture_on_commit_callbacks(execute=True):
        known = follow(client, table, "known@example.net")
        unknown = follow(client, table, "new@example.net")

    assert known["Location"] == unknown["Location"]
    assert Subscription.objects.filter(email="known@example.net").count() == 1
    reminder = next(m for m in mail.outbox if m.to == ["known@example.net"])
    assert "already follow" in reminder.subject


def test_it_does_not_mail_the_same_address_again_within_minutes(
    client, table, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, table, "twice@example.net")
        follow(client, table, "twice@example.net")

    assert len(mail.outbox) == 1


def test_it_replaces_an_older_confirmation_link(table, client, django_capture_on_commit_callbacks):
    subscription = services.subscription_request(table=table, email="x@example.net")
    old_link = services.confirm_link(subscription)
    services.subscription_request(
        table=table, email="x@example.net", now=timezone.now() + services.RESEND_AFTER * 2
    )

    response = client.post(path_of(old_link))

    assert response.status_code == 400
    assert "replaced by a newer one" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_it_explains_a_reused_confirmation_link(table, client):
    subscription = services.subscription_request(table=table, email="x@example.net")
    link = path_of(services.confirm_link(subscription))
    client.post(link)

    response = client.post(link)

    assert response.status_code == 200
    assert "You already confirmed" in response.content.decode()


def test_it_explains_an_expired_confirmation_link(table, client, monkeypatch):
    subscription = services.subscription_request(table=table, email="x@example.net")
    link = path_of(services.confirm_link(subscription))
    monkeypatch.setattr(services, "CONFIRM_MAX_AGE", -1)

    response = client.get(link)

    assert response.status_code == 400
    assert "It may have expired" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_it_refuses_a_tampered_link(client):
    response = client.post(reverse("actiontables:follow_confirm", args=["not-a-token"]))
    unsub = client.post(reverse("actiontables:unsubscribe", args=["not-a-token"]))

    assert response.status_code == 400
    assert unsub.status_code == 400
    assert "This link cannot be used" in unsub.content.decode()


def test_it_does_not_accept_an_unsubscribe_token_as_a_confirmation(table, client):
    subscription = SubscriptionFactory(table=table, confirmed_at=None)
    unsubscribe = services.unsubscribe_link(subscription).rsplit("/", 2)[-2]

    response = client.post(reverse("actiontables:follow_confirm", args=[unsubscribe]))

    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_it_unsubscribes_with_a_one_click_post_without_csrf_token(table):
    from django.test import Client

    subscription = SubscriptionFactory(table=table)
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        path_of(services.unsubscribe_link(subscription)), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_it_shows_an_unsubscribe_button_on_get_without_unsubscribing(table, client):
    subscription = SubscriptionFactory(table=table)

    response = client.get(path_of(services.unsubscribe_link(subscription)))

    assert response.status_code == 200
    assert "Stop the emails" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None


def test_it_lets_someone_follow_again_after_unsubscribing(table, client):
    subscription = SubscriptionFactory(table=table, email="back@example.net")
    client.post(path_of(services.unsubscribe_link(subscription)))

    services.subscription_request(
        table=table, email="back@example.net", now=timezone.now() + services.RESEND_AFTER * 2
    )
    subscription.refresh_from_db()
    client.post(path_of(services.confirm_link(subscription)))

    subscription.refresh_from_db()
    assert subscription.is_active


def test_it_does_not_offer_following_a_forming_table(client):
    ActionTableFactory(slug="quiet", status="forming")

    assert client.get(reverse("actiontables:follow", args=["quiet"])).status_code == 404


def test_it_does_not_offer_following_a_forming_table_even_to_staff(client, cswb_admin):
    ActionTableFactory(slug="quiet", status="forming")
    client.force_login(cswb_admin)

    assert client.get(reverse("actiontables:follow", args=["quiet"])).status_code == 404


def test_a_follower_may_ask_for_the_plans_yearly_report_too(
    client, table, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, table, "partner@example.net", plan_reports="on")
        follow(client, ActionTableFactory(), "other@example.net")

    assert dict(Subscription.objects.values_list("email", "plan_reports")) == {
        "partner@example.net": True, "other@example.net": False}
    [asked] = [m for m in mail.outbox if m.to == ["partner@example.net"]]
    assert "also get the plan's yearly progress report" in asked.body
    [plain] = [m for m in mail.outbox if m.to == ["other@example.net"]]
    assert "yearly progress report" not in plain.body


def test_an_active_follower_adds_the_report_from_a_link_in_their_mailbox(
    client, table, django_capture_on_commit_callbacks
):
    SubscriptionFactory(table=table, email="partner@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, table, "partner@example.net", plan_reports="on")

    assert not Subscription.objects.get().plan_reports  # not without the mailbox's consent
    link = next(link for link in links_in(mail.outbox[0].body) if "/yearly-report/" in link)
    page = client.get(path_of(link))
    assert "Yes, send me the yearly report too" in page.content.decode()
    assert not Subscription.objects.get().plan_reports  # a mail scanner's GET changes nothing
    done = client.post(path_of(link))
    assert "will also get the plan's yearly progress report" in done.content.decode()
    assert Subscription.objects.get().plan_reports

    bad = client.post(path_of(link)[:-3] + "xx/")
    assert bad.status_code == 400


def test_no_report_link_goes_to_a_follower_who_did_not_ask(
    client, table, django_capture_on_commit_callbacks
):
    SubscriptionFactory(table=table, email="partner@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        follow(client, table, "partner@example.net")
    assert "/yearly-report/" not in mail.outbox[0].body


@pytest.mark.parametrize("name", ["actiontables-confirm", "actiontables-already-following",
                                  "actiontables-update", "plan-report-published"])
@pytest.mark.parametrize("part", ["body.txt", "body.html"])
def test_the_emails_name_a_table_once_without_adding_action_table_again(name, part):
    from django.template.loader import render_to_string

    # Halton's tables are all named "... Action Table".
    text = render_to_string(f"emails/{name}-{part}",
                            {"table": {"name": "Youth Mental Health Action Table"}})
    assert "Youth Mental Health Action Table" in text
    assert "Action Table action table" not in text, text
