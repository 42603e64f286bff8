"""The emails of residents' issues, by kind, in the words staff read in the outbox."""

from django.utils.translation import gettext_lazy as _

KINDS = {
    "issues.acknowledgement": _("Acknowledgement to the resident"),
    "issues.new_issue": _("New issue, to triage and the topic's table"),
    "issues.responded": _("Response to the resident"),
    "issues.closed": _("Closing notice to the resident"),
    "issues.referred": _("Referral to an action table"),
}
