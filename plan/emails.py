"""Every email the plan app sends: one function each, rendering ``emails/plan-<name>-*``.

Each queues the message in the outbox inside the caller's transaction, with a dedupe key, so
calling it twice for the same thing sends one email.
"""

from django.conf import settings
from django.urls import reverse

from cswb.outbox.services import message_queue


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def deadline_reminder(*, reminder, to: str):
    """Remind an administrator that one of the plan's deadlines is coming."""
    return message_queue(
        to=to,
        template="plan-deadline-reminder",
        context={
            "reminder": reminder,
            "plan": reminder.plan,
            "duties_url": _absolute(
                reverse("admin:plan_planversion_duties", args=[reminder.plan_id])
            ),
        },
        kind="plan.deadline_reminder",
        dedupe_key=f"plan.reminder:{reminder.pk}:{to.lower()}",
    )


def report_pdf_failed(*, report, to: str, attempt: str):
    """Tell an administrator that a published report's PDF could not be written."""
    return message_queue(
        to=to,
        template="plan-report-pdf-failed",
        context={
            "report": report,
            "error": report.pdf_error,
            "report_url": _absolute(report.get_absolute_url()),
            "admin_url": _absolute(reverse("admin:plan_progressreport_change", args=[report.pk])),
        },
        kind="plan.report_pdf_failed",
        dedupe_key=f"plan.report-pdf-failed:{report.pk}:{attempt}:{to.lower()}",
    )


def report_published(*, report, subscription, unsubscribe_url: str):
    """Tell someone who follows an action table and asked for it that the report is out."""
    return message_queue(
        to=subscription.email,
        template="plan-report-published",
        context={
            "report": report,
            "table": subscription.table,
            "report_url": _absolute(report.get_absolute_url()),
            "unsubscribe_url": unsubscribe_url,
        },
        kind="plan.report_published",
        dedupe_key=f"plan.report-published:{report.pk}:{subscription.email.lower()}",
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
