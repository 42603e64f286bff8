"""Who may see outgoing mail: it holds residents' and applicants' addresses and what they wrote.

Only CSWB administrators (who hold every permission) and issue triage, who follow up on the mail
residents are sent, see the outbox; triage may also queue a failed message again.
"""

from cswb.accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.ISSUE_TRIAGE: ["outbox.view_message", "outbox.change_message"],
}


def can_view_messages(user, obj=None) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return (
        user.has_role(Role.ADMINISTRATOR) or user.has_role(Role.ISSUE_TRIAGE)
    ) and user.has_perm("outbox.view_message")


def can_retry_message(user, obj=None) -> bool:
    """Queue a message again: never one that is sent or being sent."""
    if not can_view_messages(user) or not user.has_perm("outbox.change_message"):
        return False
    if obj is None:
        return True
    from cswb.outbox.models import Message

    return obj.state not in {Message.State.SENT, Message.State.SENDING}
