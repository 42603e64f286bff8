"""Writes on issues: submission, triage (assignment, notes, workflow transitions), retention.

Every function records who did what and when as an ``IssueEvent`` and queues its emails through
the outbox inside the same transaction, so a change and its notifications exist together or not
at all. Emails to residents go only to an address they gave with their consent; emails to staff
and action tables never carry the resident's contact details, and what the resident wrote goes
only to those who may read issues (triage contacts, triage staff, administrators) or, on a
referral triage decides, to the contacts of the table it is referred to (see SECURITY.md).
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.ratelimit import recipient_allows
from cswb.outbox import services as outbox
from issues import permissions, workflow
from issues.models import (
    CONSENT_METHOD_BY_CHANNEL,
    Channel,
    Issue,
    IssueEvent,
    ReferenceCounter,
    TopicRoute,
    TriageContact,
)
from issues.workflow import State


def _next_number(year: int) -> int:
    """Return the next reference number for ``year``, committed at once.

    The year's counter row is locked only for this one statement, not for the whole submission:
    otherwise every resident submitting at the same moment would wait for the one before to
    finish saving and commit. The price is that a submission failing after this point leaves a
    gap in the numbers; references stay unique and increasing.
    """
    with transaction.atomic():
        return ReferenceCounter.take(year)


def _unique(emails) -> list[str]:
    seen, unique = set(), []
    for email in emails:
        if email.lower() not in seen:
            seen.add(email.lower())
            unique.append(email)
    return unique


def triage_recipients(issue: Issue) -> tuple[list[str], list[str]]:
    """Return who hears about a new issue, as (readers, routed), without duplicates.

    ``readers`` get what the resident wrote: the triage list (all topics or this topic) and,
    among the contacts of the action table the topic routes to, the accounts that may read
    issues. ``routed`` are the table's other contacts: they may not read issues, so they are
    told only the reference and the topic (``issues-routed``). Three or four queries.
    """
    readers = list(
        TriageContact.objects.filter(active=True, topic__in=["", issue.topic])
        .order_by("topic", "name")
        .values_list("email", flat=True)
    )
    routed = []
    route = TopicRoute.objects.select_related("action_table").filter(topic=issue.topic).first()
    if route:
        table_contacts = route.action_table.notification_emails()
        allowed = permissions.issue_readers_among(table_contacts)
        for email in table_contacts:
            (readers if email.lower() in allowed else routed).append(email)
    readers = _unique(readers)
    taken = {email.lower() for email in readers}
    return readers, [email for email in _unique(routed) if email.lower() not in taken]


def issue_submit(
    *,
    topic: str,
    municipality,
    description: str,
    affected: str = "",
    anonymous: bool = True,
    name: str = "",
    email: str = "",
    phone: str = "",
    consent_to_contact: bool = False,
    channel: str = Channel.WEB,
    location: str = "",
    latitude=None,
    longitude=None,
    recorded_by=None,
    note: str = "",
) -> Issue:
    """Save a resident's issue with the next reference and queue its emails.

    Every channel comes here: the web form, calling systems (``open311``) and staff recording
    a call, an email or a visit (``recorded_by``, who appears on the "submitted" event with
    ``note``). How consent was given follows from the channel. The acknowledgement goes to the
    resident when they gave an address and agreed to be contacted; the notification goes to
    every triage recipient (``triage_recipients``).
    """
    now = timezone.now()
    year = timezone.localtime(now).year
    number = _next_number(year)
    if anonymous:
        name = email = phone = ""
        consent_to_contact = False
    consent_method = CONSENT_METHOD_BY_CHANNEL[Channel(channel)] if consent_to_contact else ""
    with transaction.atomic():
        issue = Issue.objects.create(
            reference=f"CSWB-{year}-{number:05d}",
            year=year,
            number=number,
            topic=topic,
            municipality=municipality,
            description=description,
            affected=affected,
            anonymous=anonymous,
            name=name,
            email=email,
            phone=phone,
            consent_to_contact=consent_to_contact,
            consent_method=consent_method,
            channel=channel,
            location=location,
            latitude=latitude,
            longitude=longitude,
            submitted_at=now,
        )
        IssueEvent.objects.create(
            issue=issue,
            kind=IssueEvent.Kind.SUBMITTED,
            to_state=State.NEW,
            created_at=now,
            actor=recorded_by,
            text=note,
        )
        # The address was typed by whoever submitted: at most a few acknowledgements reach one
        # mailbox, however many connections ask (cswb.lib.ratelimit).
        if issue.can_be_emailed and recipient_allows(issue.email):
            outbox.message_queue(
                to=issue.email,
                template="issues-acknowledgement",
                context={
                    "name": issue.name,
                    "reference": issue.reference,
                    "follow_url": issue.follow_url(),
                    "topic": issue.get_topic_display(),
                },
                kind="issues.acknowledgement",
                dedupe_key=f"issue:{issue.pk}:resident:ack",
            )
        readers, routed = triage_recipients(issue)
        context = workflow.staff_context(issue)
        for recipient in readers:
            outbox.message_queue(
                to=recipient,
                template="issues-new-issue",
                context=context,
                kind="issues.new_issue",
                dedupe_key=f"issue:{issue.pk}:triage:{recipient.lower()}"[:200],
            )
        if routed:
            notice = {
                "reference": issue.reference,
                "topic": issue.get_topic_display(),
                "action_table": _routed_table_name(issue),
                "submitted_at": issue.submitted_at,
                "admin_url": context["admin_url"],
            }
            for recipient in routed:
                outbox.message_queue(
                    to=recipient,
                    template="issues-routed",
                    context=notice,
                    kind="issues.routed",
                    dedupe_key=f"issue:{issue.pk}:routed:{recipient.lower()}"[:200],
                )
    return issue


def _routed_table_name(issue: Issue) -> str:
    route = TopicRoute.objects.select_related("action_table").filter(topic=issue.topic).first()
    return route.action_table.name if route else ""


# A resident with more issues than this gets the links of their latest ones.
LINKS_RESENT_AT_MOST = 10


def follow_links_send(*, email: str, now=None) -> int:
    """Email again the private link of each issue whose resident gave ``email`` and agreed to be
    contacted there; each link at most once an hour, whoever asks and however often.

    Return how many issues were found. The caller must not tell the visitor: that would reveal
    who has brought an issue forward. The emails are the resident's (``issue:<pk>:resident:``),
    so the retention task deletes them with the rest of their contact details.
    """
    now = now or timezone.now()
    hour = int(now.timestamp() // 3600)
    latest = Issue.objects.reachable_at(email).order_by("-submitted_at")
    issues = list(latest[:LINKS_RESENT_AT_MOST])
    with transaction.atomic():
        for issue in issues:
            outbox.message_queue(
                to=issue.email,
                template="issues-follow-link",
                context={
                    "name": issue.name,
                    "reference": issue.reference,
                    "follow_url": issue.follow_url(),
                    "submitted_at": issue.submitted_at,
                },
                kind="issues.follow_link",
                dedupe_key=f"issue:{issue.pk}:resident:link:{hour}",
            )
    return len(issues)


def _check_triage(user) -> None:
    if not permissions.can_triage_issues(user):
        raise PermissionDenied(_("Only issue triage staff may change issues."))


@transaction.atomic
def issue_assign(*, issue: Issue, assignee, by) -> bool:
    """Assign ``issue`` to ``assignee`` (or nobody); return False when nothing changed."""
    _check_triage(by)
    if assignee is not None and not permissions.can_be_assigned(assignee):
        raise ValidationError(
            _("%(user)s does not have the issue-triage role."),
            code="not_triage",
            params={"user": assignee},
        )
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    if locked.assigned_to_id == (assignee.pk if assignee else None):
        return False
    Issue.objects.filter(pk=issue.pk).update(assigned_to=assignee)
    issue.assigned_to = assignee
    IssueEvent.objects.create(
        issue=issue,
        kind=IssueEvent.Kind.ASSIGNED,
        actor=by,
        text=assignee.get_username() if assignee else _("nobody"),
    )
    return True


@transaction.atomic
def issue_add_note(*, issue: Issue, text: str, by) -> IssueEvent:
    """Record an internal note: staff only, never shown to the resident."""
    _check_triage(by)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the note first."), code="empty_note")
    return workflow.WORKFLOW.record(issue, name="", by=by, kind=IssueEvent.Kind.NOTE, text=text)


def issue_transition(
    *,
    issue: Issue,
    name: str,
    by,
    response: str = "",
    action_table=None,
) -> IssueEvent:
    """Move ``issue`` along the workflow by the transition called ``name``.

    The shared engine (``issues.workflow``) locks the row (two staff acting at once cannot both
    move it), checks the role, changes the state, records the event and any public response,
    and queues the emails the table names: the resident's, and the action table's on a
    referral. Raise ``PermissionDenied`` for a role that may not, and ``ValidationError`` for a
    transition that does not apply now or lacks what it needs.
    """
    return workflow.WORKFLOW.perform(
        issue, name, by=by, inputs={"response": response, "action_table": action_table}
    )


@transaction.atomic
def issue_link_revoke(*, issue: Issue, by) -> IssueEvent:
    """End the resident's private link (every copy of it) and email them a new one.

    The issue gets a new secret, so links made with the old one open nothing; the event records
    who did it and when.
    """
    _check_triage(by)
    locked = Issue.objects.select_for_update().get(pk=issue.pk)
    locked.follow_key = uuid.uuid4()
    locked.save(update_fields=["follow_key"])
    issue.follow_key = locked.follow_key
    event = IssueEvent.objects.create(
        issue=locked, kind=IssueEvent.Kind.LINK_REVOKED, actor=by,
        text=_("A new link was emailed to the resident.") if locked.can_be_emailed else "",
    )
    if locked.can_be_emailed:
        outbox.message_queue(
            to=locked.email,
            template="issues-follow-link",
            context={
                "name": locked.name,
                "reference": locked.reference,
                "follow_url": locked.follow_url(),
                "submitted_at": locked.submitted_at,
                "revoked": True,
            },
            kind="issues.follow_link",
            dedupe_key=f"issue:{locked.pk}:resident:link:revoked:{event.pk}",
        )
    return event


def issues_mark_spam(*, issues, by) -> tuple[int, int]:
    """Mark as spam each issue whose state allows it; return (marked, skipped)."""
    marked = skipped = 0
    for issue in issues:
        if workflow.WORKFLOW.get(issue.status, "mark_spam") is None:
            skipped += 1
            continue
        issue_transition(issue=issue, name="mark_spam", by=by)
        marked += 1
    return marked, skipped


def issues_remove_expired_contacts(*, now=None, months=None) -> int:
    """Remove the contact details of issues closed longer than the retention period.

    The issue stays, without name, email or phone, for statistics; the emails the resident was
    sent (which hold their address) are deleted from the outbox. Return how many were cleared.
    """
    now = now or timezone.now()
    cleared = 0
    for issue_id in Issue.objects.contact_retention_expired(now, months).values_list(
        "pk", flat=True
    ).iterator():
        with transaction.atomic():
            Issue.objects.filter(pk=issue_id).update(
                name="", email="", phone="", contact_removed_at=now
            )
            IssueEvent.objects.create(
                issue_id=issue_id, kind=IssueEvent.Kind.CONTACT_REMOVED, created_at=now
            )
            outbox.messages_forget(dedupe_prefix=f"issue:{issue_id}:resident:")
        cleared += 1
    return cleared
