"""Who may read outgoing mail: it holds residents' and applicants' addresses and what they wrote.

Each role reads only the mail of its own area, chosen by the message's kind (its first part):
issue triage the ``issues.*`` mail, grant staff the ``grants.*`` mail; CSWB administrators read
every kind, including the action tables' (followers' addresses) and staff enrolment links. Those
who may read a message may also queue it again when it failed. Private links inside messages are
shown to nobody (``cswb.lib.links.redact``): whoever holds one acts as the resident or applicant.
"""

from django.db.models import Q

from cswb.accounts.roles import Role

ROLE_PERMISSIONS = {
    Role.ISSUE_TRIAGE: ["outbox.view_message", "outbox.change_message"],
    Role.GRANT_STAFF: ["outbox.view_message", "outbox.change_message"],
}
# The mail each role reads, by the first part of the message's kind ("issues.new_issue").
AREAS = {
    Role.ISSUE_TRIAGE: ("issues",),
    Role.GRANT_STAFF: ("grants",),
}


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def readable_areas(user) -> tuple[str, ...] | None:
    """Return the kinds' first parts ``user`` may read; None for every kind (administrators)."""
    if not _active(user) or not user.has_perm("outbox.view_message"):
        return ()
    if user.has_role(Role.ADMINISTRATOR):
        return None
    return tuple(area for role, areas in AREAS.items() if user.has_role(role) for area in areas)


def readable_filter(user) -> Q:
    """Return a filter on ``Message`` that keeps what ``user`` may read."""
    areas = readable_areas(user)
    if areas is None:
        return Q()
    query = Q(pk__in=[])
    for area in areas:
        query |= Q(kind__startswith=f"{area}.")
    return query


def can_view_messages(user, obj=None) -> bool:
    areas = readable_areas(user)
    if areas is None:
        return True
    if not areas:
        return False
    return obj is None or obj.kind.split(".", 1)[0] in areas


def can_retry_message(user, obj=None) -> bool:
    """Queue a message again: never one that is sent or being sent."""
    if not can_view_messages(user, obj) or not user.has_perm("outbox.change_message"):
        return False
    if obj is None:
        return True
    from cswb.outbox.models import Message

    return obj.state not in {Message.State.SENT, Message.State.SENDING}
