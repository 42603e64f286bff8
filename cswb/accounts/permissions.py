"""Who may manage staff accounts: CSWB administrators only (they hold every permission)."""

from cswb.accounts.roles import Role

ROLE_PERMISSIONS: dict = {}


def can_manage_users(user) -> bool:
    """Invite colleagues, change roles, send enrolment links."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.has_role(Role.ADMINISTRATOR)
        and user.has_perm("accounts.add_user")
    )
