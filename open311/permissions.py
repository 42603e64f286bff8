"""Who may see and manage the keys of calling systems.

A key lets a system create residents' issues and read their status, so only CSWB
administrators make and revoke keys; issue triage staff see which systems are connected and
when each was last used.
"""

from cswb.accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.ISSUE_TRIAGE: ["open311.view_apikey"],
}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_view_keys(user, obj=None) -> bool:
    return _active(user) and (
        user.has_role(Role.ISSUE_TRIAGE) or user.has_role(Role.ADMINISTRATOR)
    ) and user.has_perm("open311.view_apikey")


def can_manage_keys(user, obj=None) -> bool:
    """Create, rename and revoke keys: administrators only."""
    return _active(user) and user.has_role(Role.ADMINISTRATOR) and user.has_perm(
        "open311.change_apikey"
    )
