"""Administrators' home: everyone's work in summary, and staff without a second factor."""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from cswb.accounts.roles import Role, has_role
from cswb.lib.home import Count, Item, Section


def staff_without_second_factor():
    """Return active staff with no confirmed authenticator app (one query)."""
    return (
        get_user_model()
        .objects.unenrolled()
        .filter(is_active=True)
        .order_by("last_name", "first_name", "username")
    )


def sections(user, *, summary=False) -> list[Section]:
    if not has_role(user, Role.ADMINISTRATOR):
        return []
    users = reverse("admin:accounts_user_changelist")
    missing = list(staff_without_second_factor()[:50])
    section = Section(
        key="people",
        title=_("People"),
        order=8,
        counts=[Count(_("Staff without a second factor"), len(missing),
                      f"{users}?enrolled=no", alert=True)],
        empty=_("Every active staff member has set up an authenticator app."),
        links=[(_("People and roles"), users)],
    )
    for person in missing:
        section.items.append(Item(
            reference=person.get_username(),
            title=person.get_full_name() or person.email,
            url=reverse("admin:accounts_user_change", args=[person.pk]),
            since=person.date_joined,
            note=(_("Never signed in") if person.last_login is None
                  else _("Signs in without an authenticator app yet")),
            overdue=True,
        ))
    return [section]
