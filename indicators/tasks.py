from celery import shared_task

from indicators import services


@shared_task
def refresh_dashboard() -> str:
    """Recompute the dashboard summaries (skips when another refresh holds the claim)."""
    result = services.dashboard_refresh()
    if result is None:
        return "already running"
    return f"{result.indicators} indicators, {result.failures} failed"


@shared_task
def fetch_source(source_id: int) -> bool:
    return services.source_fetch(source_id=source_id)


@shared_task
def nightly_refresh() -> str:
    """Fetch every remote source, then recompute the dashboard."""
    ok, failed = services.sources_fetch_all()
    refresh_dashboard()
    return f"sources: {ok} fetched, {failed} failed"
