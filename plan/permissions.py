"""Who may see and change the plan.

CSWB administrators keep the plan, its committee, consultations and reports (they hold every
model permission). Data stewards keep the outcomes' indicators, baselines and targets, which are
figures from their dashboard.
"""

from cswb.accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.DATA_STEWARD: [
        "plan.view_outcome",
        "plan.change_outcome",
    ],
}


def _has_role(user, role) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_role(role))


def is_manager(user) -> bool:
    """Return True for superusers and CSWB administrators, who keep the plan."""
    return _has_role(user, Role.ADMINISTRATOR)


def can_view_duties(user) -> bool:
    """Return True when the user may open the page of the plan's statutory duties."""
    return is_manager(user)


def can_export_plan(user) -> bool:
    """Return True when the user may download the plan for a Minister's request."""
    return is_manager(user)


def can_approve_report(user, report) -> bool:
    """Return True when the user may approve (and so publish) a yearly progress report."""
    return is_manager(user) and report is not None and not report.is_published


def can_preview_report(user, report) -> bool:
    """Return True when the user may read a report that is not published yet."""
    return is_manager(user)


def can_change_outcome(user, outcome=None) -> bool:
    return is_manager(user) or _has_role(user, Role.DATA_STEWARD)
