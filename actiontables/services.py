"""Writes with side effects: publishing updates, following tables, mailing subscribers."""

import functools
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from actiontables.models import ActionTable, ProgressUpdate, Subscription
from cswb.lib.links import LIFETIMES, make_token, read_token
from cswb.lib.ratelimit import recipient_allows
from cswb.lib.tasks import task_enqueue
from cswb.outbox.models import Message
from cswb.outbox.services import message_queue

CONFIRM_PURPOSE = "actiontables.follow"
UNSUBSCRIBE_PURPOSE = "actiontables.unsubscribe"
PLAN_REPORTS_PURPOSE = "actiontables.plan-reports"
CONFIRM_MAX_AGE = LIFETIMES[CONFIRM_PURPOSE]
# Every update email carries a fresh unsubscribe link; an old one works for as long as the law
# asks (CASL: 60 days) and the key-rotation period allows (cswb/lib/links.py).
UNSUBSCRIBE_MAX_AGE = LIFETIMES[UNSUBSCRIBE_PURPOSE]
# A second confirmation email to the same address is not sent sooner than this.
RESEND_AFTER = timedelta(minutes=10)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# Progress updates ------------------------------------------------------------------------------


def progress_update_save(*, update: ProgressUpdate, author=None) -> ProgressUpdate:
    """Save ``update``; when it is published for the first time, mail the table's followers.

    The mail goes out from a Celery task queued after the transaction commits, so a rolled-back
    save sends nothing.
    """
    if update.author_id is None and author is not None and author.is_authenticated:
        update.author = author
    first_publication = update.is_published and update.published_at is None
    if first_publication:
        update.published_at = timezone.now()
    update.save()
    if first_publication:
        transaction.on_commit(functools.partial(_notify_after_commit, update.pk))
    return update


def _notify_after_commit(update_id: int) -> None:
    from actiontables import tasks

    if not task_enqueue(tasks.notify_followers, update_id):
        # The broker does not answer: write the followers' emails to the outbox here instead
        # (its sweep sends them), so that the update is never published unannounced.
        progress_update_notify(update_id=update_id)


def progress_update_notify(*, update_id: int) -> int:
    """Queue one email per confirmed follower of the update's table; return how many were new.

    Each email carries a dedupe key made of the update and the subscription, so running this
    twice (a retried task, an update published, withdrawn and published again) mails nobody twice.
    """
    update = (
        ProgressUpdate.objects.select_related("table")
        .filter(pk=update_id, status=ProgressUpdate.Status.PUBLISHED)
        .first()
    )
    if update is None:
        return 0
    queued = 0
    prefix = f"actiontables.update:{update.pk}:sub:"
    # Skip, in one query, the followers already mailed (a task run again); the dedupe key
    # still guards against two runs at the same moment.
    already = set(
        Message.objects.filter(dedupe_key__startswith=prefix).values_list("dedupe_key", flat=True)
    )
    subscriptions = Subscription.objects.confirmed().filter(table=update.table_id).order_by("pk")
    for subscription in subscriptions.iterator():
        if f"{prefix}{subscription.pk}" in already:
            continue
        with transaction.atomic():
            unsubscribe_url = unsubscribe_link(subscription)
            message = message_queue(
                to=subscription.email,
                template="actiontables-update",
                context={
                    "table": update.table,
                    "update": update,
                    "update_url": absolute(update.get_absolute_url()),
                    "unsubscribe_url": unsubscribe_url,
                },
                kind="actiontables.update",
                dedupe_key=f"{prefix}{subscription.pk}",
                headers={
                    "List-Unsubscribe": f"<{unsubscribe_url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
        if message is not None:
            queued += 1
    return queued


# Following a table -------------------------------------------------------------------------------


def confirm_link(subscription: Subscription) -> str:
    token = make_token(CONFIRM_PURPOSE, f"{subscription.pk}:{subscription.nonce}")
    return absolute(reverse("actiontables:follow_confirm", kwargs={"token": token}))


def unsubscribe_link(subscription: Subscription) -> str:
    token = make_token(UNSUBSCRIBE_PURPOSE, str(subscription.pk))
    return absolute(reverse("actiontables:unsubscribe", kwargs={"token": token}))


def plan_reports_link(subscription: Subscription) -> str:
    """Return the link that adds the plan's yearly report to an active subscription."""
    token = make_token(PLAN_REPORTS_PURPOSE, str(subscription.pk))
    return absolute(reverse("actiontables:follow_plan_reports", kwargs={"token": token}))


def subscription_request(
    *, table: ActionTable, email: str, plan_reports: bool = False, now=None
) -> Subscription:
    """Record a request to follow ``table`` and email the address a confirmation link.

    ``plan_reports`` asks for the plan's yearly progress report as well; like the updates, it
    starts only once the address is confirmed. An address that already follows the table gets a
    reminder instead, which says how to add the report (the page shown is the same either way,
    so the form does not reveal who follows what). A new request makes earlier confirmation
    links void.
    """
    now = now or timezone.now()
    email = email.strip().lower()
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            table=table, email=email
        )
        recently_mailed = (
            not created
            and subscription.last_sent_at is not None
            and now - subscription.last_sent_at < RESEND_AFTER
        )
        # The address was typed by a visitor: at most a few such emails reach one mailbox,
        # whichever tables and connections are used (cswb.lib.ratelimit).
        if recently_mailed or not recipient_allows(email):
            return subscription
        if subscription.is_active:
            template, kind = "actiontables-already-following", "actiontables.already_following"
            context = {
                "table": table,
                "unsubscribe_url": unsubscribe_link(subscription),
                "plan_reports_url": (
                    plan_reports_link(subscription)
                    if plan_reports and not subscription.plan_reports else ""
                ),
            }
        else:
            subscription.nonce += 1
            subscription.plan_reports = plan_reports
            subscription.confirmed_at = None
            subscription.unsubscribed_at = None
            template, kind = "actiontables-confirm", "actiontables.confirm"
            context = {
                "table": table,
                "confirm_url": confirm_link(subscription),
                "plan_reports": plan_reports,
                "valid_days": CONFIRM_MAX_AGE // 86400,
            }
        subscription.last_sent_at = now
        subscription.save()
        message_queue(
            to=email,
            template=template,
            context=context,
            kind=kind,
            dedupe_key=f"{kind}:{subscription.pk}:{subscription.nonce}:{now.timestamp()}",
        )
    return subscription


class LinkProblem(Exception):
    """A follow or unsubscribe link that cannot be used; ``reason`` says why."""

    def __init__(self, reason: str, subscription: Subscription | None = None):
        super().__init__(reason)
        self.reason = reason
        self.subscription = subscription


def subscription_from_confirm_token(token: str) -> Subscription:
    """Return the subscription a confirmation link names, or raise LinkProblem.

    Reasons: "invalid" (tampered or expired), "used" (already confirmed), "replaced" (a newer
    link was sent), "unsubscribed" (the address has since stopped following).
    """
    value = read_token(CONFIRM_PURPOSE, token, max_age=CONFIRM_MAX_AGE)
    try:
        pk, nonce = (int(part) for part in (value or "").split(":"))
    except ValueError:
        raise LinkProblem("invalid") from None
    subscription = Subscription.objects.select_related("table").filter(pk=pk).first()
    if subscription is None:
        raise LinkProblem("invalid")
    if subscription.nonce != nonce:
        raise LinkProblem("replaced", subscription)
    if subscription.unsubscribed_at is not None:
        raise LinkProblem("unsubscribed", subscription)
    if subscription.confirmed_at is not None:
        raise LinkProblem("used", subscription)
    return subscription


def subscription_confirm(*, token: str) -> Subscription:
    """Confirm the subscription in ``token``; raise LinkProblem when the link cannot be used."""
    with transaction.atomic():
        subscription = subscription_from_confirm_token(token)
        # Only one of two simultaneous clicks confirms.
        confirmed = Subscription.objects.filter(
            pk=subscription.pk, nonce=subscription.nonce, confirmed_at__isnull=True
        ).update(confirmed_at=timezone.now())
        if confirmed != 1:
            raise LinkProblem("used", subscription)
        subscription.refresh_from_db()
    return subscription


def subscription_from_plan_reports_token(token: str) -> Subscription:
    """Return the active subscription a report link names, or raise LinkProblem."""
    value = read_token(PLAN_REPORTS_PURPOSE, token)
    if not value or not value.isdigit():
        raise LinkProblem("invalid")
    subscription = Subscription.objects.select_related("table").filter(pk=int(value)).first()
    if subscription is None:
        raise LinkProblem("invalid")
    if not subscription.is_active:
        raise LinkProblem("unsubscribed", subscription)
    return subscription


def subscription_add_plan_reports(*, token: str) -> Subscription:
    """Add the plan's yearly report to the subscription in ``token``; twice is harmless."""
    subscription = subscription_from_plan_reports_token(token)
    Subscription.objects.filter(pk=subscription.pk).update(plan_reports=True)
    subscription.refresh_from_db()
    return subscription


def subscription_from_unsubscribe_token(token: str) -> Subscription:
    value = read_token(UNSUBSCRIBE_PURPOSE, token, max_age=UNSUBSCRIBE_MAX_AGE)
    if not value or not value.isdigit():
        raise LinkProblem("invalid")
    subscription = Subscription.objects.select_related("table").filter(pk=int(value)).first()
    if subscription is None:
        raise LinkProblem("invalid")
    return subscription


def subscription_cancel(*, token: str) -> Subscription:
    """Stop the subscription in ``token``; doing it twice is harmless."""
    subscription = subscription_from_unsubscribe_token(token)
    Subscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    subscription.refresh_from_db()
    return subscription
