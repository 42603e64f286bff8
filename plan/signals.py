"""Keep cached pages of other apps in step with the plan."""

from django.db import transaction

# Plan rows shown on the dashboard's indicator pages.
SHOWN_ON_INDICATOR_PAGES = {"plan.planversion", "plan.strategy", "plan.outcome"}


def dashboard_pages_changed(sender, **kwargs):
    """Signal receiver: give the dashboard a new version once the change commits."""
    if sender._meta.label_lower not in SHOWN_ON_INDICATOR_PAGES:
        return
    from indicators.services import dashboard_invalidate

    transaction.on_commit(dashboard_invalidate)
