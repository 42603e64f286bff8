"""An action-table lead's home: their tables, when each last published an update, a button to
write one; administrators see the tables gone quiet."""

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from actiontables import permissions
from actiontables.models import STALE_AFTER, ActionTable
from cswb.accounts.roles import Role, has_role
from cswb.lib.home import Count, Item, Section


def _tables_section(user) -> Section:
    today = timezone.localdate()
    tables = (
        ActionTable.objects.filter(pk__in=permissions.lead_table_ids(user))
        .annotate(last_published=Max("updates__date",
                                     filter=Q(updates__status="published")))
        .order_by("name")
    )
    add_update = reverse("admin:actiontables_progressupdate_add")
    section = Section(
        key="tables",
        title=_("My action tables"),
        order=30,
        empty=_("You lead no action table yet: an administrator links you to your "
                "organization."),
        links=[(_("Write a progress update"), add_update)],
    )
    quiet = 0
    for table in tables:
        stale = not table.is_sunset and (
            table.last_published is None or table.last_published < today - STALE_AFTER
        )
        quiet += stale
        section.items.append(Item(
            reference=table.name,
            title=(_("%(status)s · last update published %(date)s")
                   % {"status": table.get_status_display(),
                      "date": date_format(table.last_published)}
                   if table.last_published
                   else _("%(status)s · no update published yet")
                   % {"status": table.get_status_display()}),
            url=reverse("admin:actiontables_actiontable_change", args=[table.pk]),
            since=table.last_published,
            overdue=stale,
            note=_("Quiet for six months: write an update") if stale else _("Up to date"),
        ))
        section.links.append((_("Write an update for %(table)s") % {"table": table.name},
                              f"{add_update}?table={table.pk}"))
    section.counts = [
        Count(_("Tables I lead"), len(section.items)),
        Count(_("Quiet for six months"), quiet, alert=True),
    ]
    section.links = section.links[1:] if section.items else section.links[:0]
    return section


def _stale_summary() -> Section:
    changelist = reverse("admin:actiontables_actiontable_changelist")
    return Section(
        key="tables-summary",
        title=_("Action tables"),
        order=30,
        counts=[Count(_("Tables with no published update in six months"),
                      ActionTable.objects.stale().count(), f"{changelist}?updates=none",
                      alert=True)],
    )


def sections(user, *, summary=False) -> list[Section]:
    if summary:
        return [_stale_summary()] if permissions.is_manager(user) else []
    # A lead not yet linked to an organization is told why no table shows, not that nothing waits.
    if has_role(user, Role.ACTION_TABLE_LEAD):
        return [_tables_section(user)]
    return []
