"""The emails of grants, by kind, in the words staff read in the outbox."""

from django.utils.translation import gettext_lazy as _

KINDS = {
    "grants.draft_link": _("Draft's private link to the applicant"),
    "grants.links": _("Private links sent again to an applicant"),
    "grants.acknowledgement": _("Acknowledgement to the applicant"),
    "grants.staff_new": _("New application, to grant staff"),
    "grants.reviewer_assigned": _("Review assignment, to the reviewer"),
    "grants.decision": _("Decision to the applicant"),
    "grants.withdrawn": _("Withdrawal confirmed to the applicant"),
    "grants.report_reminder": _("Report reminder to the award holder"),
    "grants.report_overdue": _("Overdue report, to grant staff"),
}
