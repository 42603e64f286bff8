"""Writes with side effects: generating, approving and printing the yearly report, and the
reminders of the plan's deadlines."""

import datetime
import logging
import uuid
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cswb.accounts.roles import Role
from cswb.lib.tasks import task_enqueue
from plan import emails
from plan.duties import deadlines
from plan.models import PlanVersion, ProgressReport, Reminder, ReportPdf
from plan.reports import render_report_pdf, report_data

log = logging.getLogger(__name__)

# A PDF claimed this long ago and not finished belongs to a worker that died.
PDF_LEASE = timedelta(minutes=15)


def administrator_emails() -> list[str]:
    users = get_user_model().objects.filter(
        is_active=True, groups__name=Role.ADMINISTRATOR.value
    ).exclude(email="")
    return sorted({email.lower() for email in users.values_list("email", flat=True)})


# The yearly report -------------------------------------------------------------------------------


def report_generate(*, report: ProgressReport, data: dict | None = None) -> ProgressReport:
    """Store freshly built content on a draft ``report`` (``data`` when the caller built it)."""
    if report.is_published:
        raise ValueError("A published report keeps the content it was approved with.")
    report.data = data if data is not None else report_data(plan=report.plan, year=report.year)
    report.generated_at = timezone.now()
    report.save()
    return report


def report_approve(*, report: ProgressReport, user) -> bool:
    """Publish ``report`` with the content staff reviewed; queue its PDF and the followers' mail.

    Return False when it was already published (two clicks, two staff): only one approval
    counts, claimed with a conditional UPDATE.
    """
    if not report.data:
        raise ValueError("Generate the report before approving it.")
    now = timezone.now()
    with transaction.atomic():
        claimed = ProgressReport.objects.filter(
            pk=report.pk, state=ProgressReport.State.DRAFT
        ).update(
            state=ProgressReport.State.PUBLISHED, published_at=now, approved_by=user,
            pdf_state=ProgressReport.PdfState.PENDING, pdf_error="", pdf_updated_at=now,
        )
        if claimed != 1:
            return False
        report.refresh_from_db()
        _queue_pdf(report.pk)
        report_id = report.pk
        transaction.on_commit(lambda: _queue_followers_mail(report_id))
    return True


def _queue_followers_mail(report_id: int) -> None:
    from plan import tasks

    if not task_enqueue(tasks.notify_report_followers, report_id):
        # The broker is away: write the followers' mail to the outbox here (rows only; the
        # outbox sweep sends it), rather than lose it or fail a publication already saved.
        report_notify_followers(report_id=report_id)


def _queue_pdf(report_id: int) -> None:
    from plan import tasks

    # The broker away, the PDF stays pending; the daily chores queue it again
    # (``reports_requeue_stale``).
    transaction.on_commit(lambda: task_enqueue(tasks.render_report_pdf, report_id))


def report_pdf_request(*, report: ProgressReport) -> bool:
    """Ask for the PDF of a published report to be written (again); False if not published."""
    updated = ProgressReport.objects.filter(
        pk=report.pk, state=ProgressReport.State.PUBLISHED
    ).exclude(pdf_state=ProgressReport.PdfState.RENDERING).update(
        pdf_state=ProgressReport.PdfState.PENDING, pdf_error="", pdf_updated_at=timezone.now()
    )
    if updated:
        _queue_pdf(report.pk)
    return bool(updated)


def report_pdf_render(*, report_id: int) -> str:
    """Write the PDF of a published report; return the PDF state afterwards.

    The task may run twice: it claims the report with a conditional UPDATE (pending ->
    rendering) and goes on only when that changed one row. A failure leaves the HTML report
    published, records the reason and emails the administrators.
    """
    State = ProgressReport.PdfState
    claimed = ProgressReport.objects.filter(pk=report_id, pdf_state=State.PENDING).update(
        pdf_state=State.RENDERING, pdf_updated_at=timezone.now()
    )
    if claimed != 1:
        return ProgressReport.objects.filter(pk=report_id).values_list(
            "pdf_state", flat=True).first() or ""
    report = ProgressReport.objects.select_related("plan").get(pk=report_id)
    try:
        content = render_report_pdf(report)
    except Exception as exc:  # noqa: BLE001 - every failure is reported to staff the same way
        log.warning("The PDF of report %s could not be written: %s", report_id, exc)
        with transaction.atomic():
            ProgressReport.objects.filter(pk=report_id, pdf_state=State.RENDERING).update(
                pdf_state=State.FAILED, pdf_error=str(exc)[:2000], pdf_updated_at=timezone.now()
            )
            report.refresh_from_db()
            attempt = uuid.uuid4().hex[:12]
            for email in administrator_emails():
                emails.report_pdf_failed(report=report, to=email, attempt=attempt)
        return State.FAILED
    with transaction.atomic():
        ReportPdf.objects.update_or_create(
            report=report, defaults={"content": content, "size": len(content)}
        )
        ProgressReport.objects.filter(pk=report_id, pdf_state=State.RENDERING).update(
            pdf_state=State.READY, pdf_error="", pdf_updated_at=timezone.now()
        )
    return State.READY


def reports_requeue_stale(*, now=None) -> int:
    """Queue again the PDFs left pending or half-written by a worker that died; return how many.

    A pending report older than the lease lost its task (broker down); a rendering one lost its
    worker. Both go back to pending and are queued once more.
    """
    now = now or timezone.now()
    State = ProgressReport.PdfState
    stale = list(
        ProgressReport.objects.filter(
            pdf_state__in=[State.PENDING, State.RENDERING], pdf_updated_at__lt=now - PDF_LEASE
        ).values_list("pk", "pdf_state")
    )
    queued = 0
    for pk, state in stale:
        with transaction.atomic():
            if ProgressReport.objects.filter(pk=pk, pdf_state=state).update(
                pdf_state=State.PENDING, pdf_updated_at=now
            ):
                _queue_pdf(pk)
                queued += 1
    return queued


def report_notify_followers(*, report_id: int) -> int:
    """Email each follower of an action table who asked for the yearly report; return how many
    emails were new (one per address, however many tables it follows)."""
    from actiontables.models import Subscription
    from actiontables.services import unsubscribe_link

    report = ProgressReport.objects.published().filter(pk=report_id).first()
    if report is None:
        return 0
    queued = 0
    seen = set()
    followers = (
        Subscription.objects.confirmed().filter(plan_reports=True)
        .select_related("table").order_by("email", "pk")
    )
    for subscription in followers.iterator():
        if subscription.email in seen:
            continue
        seen.add(subscription.email)
        with transaction.atomic():
            message = emails.report_published(
                report=report, subscription=subscription,
                unsubscribe_url=unsubscribe_link(subscription),
            )
        queued += message is not None
    return queued


# Reminders -----------------------------------------------------------------------------------


def reminders_create(*, today: datetime.date | None = None) -> int:
    """Create the reminders whose day has come for the plan in force; return how many are new.

    For each open deadline, only the latest reminder whose day has come is created: a plan
    adopted ten months before its review gets the six-month reminder, not the twelve-month one
    as well.
    """
    today = today or timezone.localdate()
    plan = PlanVersion.objects.current(today)
    if plan is None:
        return 0
    created = 0
    for deadline in deadlines(plan, today):
        if deadline.met or deadline.due < today:
            continue
        due_leads = [(deadline.due - lead.delta, lead.label) for lead in deadline.leads
                     if deadline.due - lead.delta <= today]
        if not due_leads:
            continue
        send_on, label = max(due_leads)
        already = Reminder.objects.filter(
            plan=plan, kind=deadline.kind, deadline=deadline.due, send_on__gte=send_on
        ).exists()
        if already:
            continue
        _reminder, was_created = Reminder.objects.get_or_create(
            plan=plan, kind=deadline.kind, deadline=deadline.due, send_on=send_on,
            defaults={"lead": label},
        )
        created += was_created
    return created


def reminders_send(*, today: datetime.date | None = None) -> int:
    """Mail every pending reminder due by ``today`` to the administrators; return how many.

    Each reminder is claimed with ``UPDATE ... WHERE state = 'pending'`` inside the transaction
    that queues its mail: a second run (or a second worker) changes no row and sends nothing.
    """
    today = today or timezone.localdate()
    sent = 0
    recipients = administrator_emails()
    due = Reminder.objects.filter(state=Reminder.State.PENDING, send_on__lte=today)
    for reminder in due.select_related("plan"):
        with transaction.atomic():
            claimed = Reminder.objects.filter(
                pk=reminder.pk, state=Reminder.State.PENDING
            ).update(state=Reminder.State.SENT, sent_at=timezone.now(),
                     recipients=len(recipients))
            if claimed != 1:
                continue
            for email in recipients:
                emails.deadline_reminder(reminder=reminder, to=email)
        sent += 1
    return sent


def plan_daily(*, today: datetime.date | None = None) -> dict:
    """Run the plan's daily chores: reminders, and PDFs a dead worker left behind."""
    return {
        "reminders_created": reminders_create(today=today),
        "reminders_sent": reminders_send(today=today),
        "pdfs_requeued": reports_requeue_stale(),
    }
