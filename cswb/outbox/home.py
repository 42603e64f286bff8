"""Mail that could not be sent, on the home of whoever follows that mail up."""

from django.urls import reverse
from django.utils.translation import gettext as _

from cswb.lib.home import Count, Item, Section
from cswb.outbox import kinds, permissions
from cswb.outbox.models import Message

SHOWN = 10


def sections(user, *, summary=False) -> list[Section]:
    # The same rule as the outgoing-mail list: each role sees the mail of its own area.
    if not permissions.can_view_messages(user):
        return []
    failed = Message.objects.needs_attention().filter(permissions.readable_filter(user))
    count = failed.count()
    changelist = reverse("admin:outbox_message_changelist") + "?attention=yes"
    if not count and not summary:
        return []
    section = Section(
        key="mail",
        title=_("Mail that could not be sent"),
        order=5,
        counts=[Count(_("Failed or unconfirmed messages"), count,
                      changelist, alert=True)],
        empty=_("Every message was delivered."),
        links=[(_("Outgoing mail that needs attention"), changelist)],
    )
    if summary:
        return [section]
    for message in failed.order_by("-created_at")[:SHOWN]:
        section.items.append(Item(
            reference=kinds.label(message.kind),
            title=message.subject,
            url=reverse("admin:outbox_message_change", args=[message.pk]),
            since=message.created_at,
            note=message.get_state_display(),
            overdue=True,
        ))
    return [section]


