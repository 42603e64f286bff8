from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Residents' contact details stay out of the audit trail: retention removes them from the issue,
# and a copy in the audit log would outlive that.
AUDIT_EXCLUDED_FIELDS = ["name", "email", "phone", "follow_key"]


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Residents' issues")

    def ready(self):
        from auditlog.registry import auditlog

        from issues.models import Issue

        if auditlog.contains(Issue):
            auditlog.unregister(Issue)
        auditlog.register(Issue, exclude_fields=AUDIT_EXCLUDED_FIELDS)
