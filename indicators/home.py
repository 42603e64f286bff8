"""A data steward's home: remote sources failing or stale, and the last dashboard refresh."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.home import Count, Item, Section
from indicators.models import DashboardState, RemoteSource
from indicators.permissions import can_manage_indicators

# A source not fetched successfully for this long is stale (the refresh runs nightly).
STALE_AFTER = timedelta(days=3)


def sections(user, *, summary=False) -> list[Section]:
    if not can_manage_indicators(user):
        return []
    now = timezone.now()
    active = RemoteSource.objects.filter(active=True).select_related("indicator")
    failing = active.exclude(last_error="")
    stale = active.filter(last_error="").filter(
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=now - STALE_AFTER)
    )
    state = DashboardState.get()
    sources = reverse("admin:indicators_remotesource_changelist")
    summaries = reverse("admin:indicators_indicatorsummary_changelist")
    section = Section(
        key="indicators",
        title=_("Dashboard data"),
        order=40,
        counts=[
            Count(_("Sources failing"), failing.count(), sources, alert=True),
            Count(_("Sources not fetched in three days"), stale.count(), sources, alert=True),
            Count(_("Indicators whose last refresh failed"), state.refresh_failures, summaries,
                  alert=True),
        ],
        empty=_("Every remote source was fetched in the last three days."),
        links=[(_("Import observations from a file"),
                reverse("admin:indicators_observation_import")),
               (_("Dashboard summaries"), summaries)],
    )
    if summary:
        return [section]
    section.items.append(Item(
        reference=_("Dashboard"),
        title=_("Last refresh of the dashboard"),
        url=summaries,
        since=state.refresh_finished_at,
        note=(_("Never refreshed") if state.refresh_finished_at is None
              else _("Finished, %(failed)s indicators failed") % {"failed":
                                                                 state.refresh_failures}),
        overdue=state.refresh_finished_at is None or state.refresh_failures > 0,
    ))
    for source in list(failing[:15]) + list(stale[:15]):
        section.items.append(Item(
            reference=source.name,
            title=source.indicator.name,
            url=reverse("admin:indicators_remotesource_change", args=[source.pk]),
            since=source.last_success_at,
            note=(_("Failed: %(error)s") % {"error": source.last_error[:200]}
                  if source.last_error else _("Not fetched lately")),
            overdue=True,
        ))
    return [section]
