"""The dashboard's data version: cached pages and ETags are keyed by it, and every change to
the figures gives it a new value and queues a refresh of the summaries."""

import logging
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from cswb.lib.cache import on_recovery
from cswb.lib.tasks import task_enqueue
from indicators.models import DashboardState

log = logging.getLogger(__name__)

VERSION_KEY = "indicators:version"


def _version_for(moment: datetime) -> str:
    # Integer arithmetic: a float product of the timestamp can land one millisecond short.
    return str(int(moment.timestamp()) * 1000 + moment.microsecond // 1000)


def dashboard_version() -> str:
    """Return the version of the dashboard's data; cached pages are keyed by it.

    The database holds it and the shared cache a copy: one query when the cache has lost it or
    does not answer, none otherwise.
    """
    version = cache.get(VERSION_KEY)
    if version is None:
        changed = (
            DashboardState.objects.filter(pk=DashboardState.SINGLETON_ID)
            .values_list("changed_at", flat=True).first()
        )
        version = _version_for(changed) if changed else "0"
        # add, not set: a refresh that gave a newer version meanwhile must not be overwritten.
        cache.add(VERSION_KEY, version, None)
    return version


@on_recovery
def _forget_version_after_an_outage() -> None:
    """Redis answers again after this process lost it: a refresh finished meanwhile could not
    update the copy there, so drop it and let the next reader take it from the database."""
    cache.delete(VERSION_KEY)


def dashboard_last_modified(version: str | None = None) -> datetime:
    """Return when the dashboard's data last changed (from ``version`` when given)."""
    return datetime.fromtimestamp(int(version or dashboard_version()) // 1000, tz=UTC)


def dashboard_invalidate() -> None:
    """Give the dashboard a new version, so that every cached page and ETag is stale."""
    now = timezone.now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    # Two changes within one millisecond must still give two versions.
    previous = cache.get(VERSION_KEY)
    if previous is not None and int(_version_for(now)) <= int(previous):
        now = datetime.fromtimestamp(int(previous) // 1000, tz=UTC) + timedelta(
            milliseconds=int(previous) % 1000 + 1
        )
    updated = DashboardState.objects.filter(pk=DashboardState.SINGLETON_ID).update(changed_at=now)
    if not updated:
        DashboardState.objects.get_or_create(
            pk=DashboardState.SINGLETON_ID, defaults={"changed_at": now}
        )
    cache.set(VERSION_KEY, _version_for(now), None)


def dashboard_changed() -> None:
    """After the current transaction commits, make cached pages stale and queue a refresh."""

    def after_commit():
        # The one import upwards in the app: the task module sits on top of the services that
        # call this. Imported when the transaction commits, so no module-level cycle exists.
        from indicators.tasks import refresh_dashboard

        dashboard_invalidate()
        if not task_enqueue(refresh_dashboard):
            # The change is saved; the summaries follow at the nightly refresh, or sooner when
            # staff choose "Recompute" in the admin.
            log.warning("Dashboard refresh not queued: the broker does not answer.")

    transaction.on_commit(after_commit)
