"""Mail that could not be sent, on the home of whoever follows that mail up."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from cswb.accounts.roles import Role, has_role
from cswb.lib.home import Count, Item, Section
from cswb.outbox import kinds, permissions
from cswb.outbox.models import Message

# The mail each role follows up, by the first part of the message's kind ("issues.responded").
AREAS = {
    Role.ISSUE_TRIAGE: ("issues",),
    Role.GRANT_STAFF: ("grants",),
    Role.ACTION_TABLE_LEAD: ("actiontables",),
}
SHOWN = 10


def _areas_filter(user) -> Q | None:
    """Return a filter for the mail ``user`` follows up; None when they follow none."""
    if has_role(user, Role.ADMINISTRATOR):
        return Q()
    areas = [area for role, names in AREAS.items() if has_role(user, role) for area in names]
    if not areas:
        return None
    query = Q(pk__in=[])
    for area in areas:
        query |= Q(kind__startswith=f"{area}.")
    return query


def sections(user, *, summary=False) -> list[Section]:
    query = _areas_filter(user)
    if query is None:
        return []
    failed = Message.objects.needs_attention().filter(query)
    count = failed.count()
    readable = permissions.can_view_messages(user)
    changelist = reverse("admin:outbox_message_changelist") + "?attention=yes"
    if not count and not summary:
        return []
    section = Section(
        key="mail",
        title=_("Mail that could not be sent"),
        order=5,
        counts=[Count(_("Failed or unconfirmed messages"), count,
                      changelist if readable else "", alert=True)],
        empty=_("Every message was delivered."),
        links=[(_("Outgoing mail that needs attention"), changelist)] if readable else [],
    )
    if summary:
        return [section]
    for message in failed.order_by("-created_at")[:SHOWN]:
        section.items.append(Item(
            reference=kinds.label(message.kind),
            title=message.subject,
            url=reverse("admin:outbox_message_change", args=[message.pk]) if readable else "",
            since=message.created_at,
            note=message.get_state_display(),
            overdue=True,
        ))
    return [section]


