"""Administrators' home: everyone's work in summary, staff without a second factor, and names
locked out of sign-in."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
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


def locked_out_names() -> list[dict]:
    """Return the names django-axes refuses now, by the rules of ``cswb.accounts.lockout``: a
    name and address pair at ``AXES_FAILURE_LIMIT``, or a name at ``AXES_USERNAME_FAILURE_LIMIT``
    from all addresses, within the cool-off time (one query)."""
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME)
        .values("username")
        .annotate(worst=Max("failures_since_start"), total=Sum("failures_since_start"),
                  last=Max("attempt_time"))
        .order_by("-last")
    )
    return [
        row for row in rows
        if row["worst"] >= settings.AXES_FAILURE_LIMIT
        or row["total"] >= settings.AXES_USERNAME_FAILURE_LIMIT
    ]


def sections(user, *, summary=False) -> list[Section]:
    if not has_role(user, Role.ADMINISTRATOR):
        return []
    users = reverse("admin:accounts_user_changelist")
    missing = list(staff_without_second_factor()[:50])
    locked = locked_out_names()
    attempts = reverse("admin:axes_accessattempt_changelist")
    section = Section(
        key="people",
        title=_("People"),
        order=8,
        counts=[Count(_("Staff without a second factor"), len(missing),
                      f"{users}?enrolled=no", alert=True),
                # A colleague who calls because sign-in refuses them is found here, not by
                # knowing where django-axes keeps its records.
                Count(_("Names locked out of sign-in now"), len(locked), attempts, alert=True)],
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
