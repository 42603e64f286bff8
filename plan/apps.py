from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanConfig(AppConfig):
    name = "plan"
    verbose_name = _("The plan")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from plan import signals

        # Indicator pages name the outcomes they measure; they are cached under the dashboard's
        # version, which a change to the plan must move too.
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(signals.dashboard_pages_changed, dispatch_uid=f"plan.dashboard.{signal}")
