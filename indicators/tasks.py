from celery import shared_task
from django.utils import timezone

from indicators import services
from indicators.models import RemoteSource


@shared_task
def refresh_dashboard() -> str:
    """Recompute the dashboard summaries (skips when another refresh holds the claim)."""
    result = services.dashboard_refresh()
    if result is None:
        return "already running"
    return f"{result.indicators} indicators, {result.failures} failed"


@shared_task
def fetch_source(source_id: int) -> bool:
    """Fetch one source (queued by the admin's "fetch now")."""
    return services.source_fetch(source_id=source_id)


def _counts(outcomes) -> str:
    counts = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"


@shared_task
def nightly_refresh() -> str:
    """Fetch every active source, then recompute the dashboard."""
    outcomes = services.sources_fetch_all()
    refresh_dashboard()
    return f"sources: {_counts(outcomes)}"


@shared_task
def retry_waiting_sources() -> str:
    """Fetch again the sources whose table Statistics Canada was publishing."""
    ids = list(RemoteSource.objects.due_for_retry(timezone.now()).values_list("pk", flat=True))
    if not ids:
        return "none waiting"
    return f"sources: {_counts(services.sources_fetch(ids))}"
