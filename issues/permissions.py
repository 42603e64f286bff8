"""Who may see and triage residents' issues.

Residents' issues hold what people told us in confidence and how to reach them: only the
issue-triage role and CSWB administrators see them. Residents have no account; their signed
private link is checked in the views.
"""

from cswb.accounts.roles import Role, has_role

ROLE_PERMISSIONS = {
    Role.ISSUE_TRIAGE: [
        "issues.view_issue",
        "issues.change_issue",
        "issues.view_issueevent",
        "issues.view_triagecontact",
        "issues.add_triagecontact",
        "issues.change_triagecontact",
        "issues.delete_triagecontact",
        "issues.view_topicroute",
        "issues.add_topicroute",
        "issues.change_topicroute",
        "issues.delete_topicroute",
        "issues.view_signpost",
        "issues.add_signpost",
        "issues.change_signpost",
        "issues.delete_signpost",
    ],
}


def is_triage(user) -> bool:
    """Return True for issue triage and CSWB administrators (superusers included)."""
    return has_role(user, Role.ISSUE_TRIAGE, Role.ADMINISTRATOR)


def can_view_issues(user, obj=None) -> bool:
    return is_triage(user) and user.has_perm("issues.view_issue")


def can_triage_issues(user, obj=None) -> bool:
    """Assign, note, respond, refer, close: the change permission on top of the role."""
    return is_triage(user) and user.has_perm("issues.change_issue")


def can_record_issues(user) -> bool:
    """Record an issue for a resident who called, wrote or came in: triage's work."""
    return can_triage_issues(user)


def can_delete_issues(user, obj=None) -> bool:
    """Only administrators delete; triage marks unwanted issues as spam instead."""
    return has_role(user, Role.ADMINISTRATOR) and user.has_perm("issues.delete_issue")


def can_manage_routing(user, obj=None) -> bool:
    return is_triage(user) and user.has_perm("issues.change_triagecontact")


def can_manage_signposts(user, obj=None) -> bool:
    """Edit where residents are pointed for what the plan does not handle."""
    return is_triage(user) and user.has_perm("issues.change_signpost")


def can_view_statistics(user) -> bool:
    return can_view_issues(user)


def can_be_assigned(user) -> bool:
    return is_triage(user)


def issue_readers_among(emails) -> set[str]:
    """Return, lower-cased, the addresses in ``emails`` of active accounts that may read
    issues (triage staff, administrators, superusers). One query, and two for each matching
    account's permissions."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    wanted = {email.lower() for email in emails}
    if not wanted:
        return set()
    query = Q()
    for email in wanted:
        query |= Q(email__iexact=email)
    users = (
        get_user_model()
        .objects.filter(query, is_active=True)
        .prefetch_related("groups", "user_permissions", "groups__permissions")
    )
    return {user.email.lower() for user in users if can_view_issues(user)}
