"""Writes and side effects of the indicators app: the dashboard refresh and remote sources.

The data version that cached pages are keyed by lives in ``indicators.dashboard`` (re-exported
here); Statistics Canada's sources are fetched by ``indicators.statcan``."""

import logging
import statistics
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cswb.lib.tasks import task_enqueue
from indicators.dashboard import (  # noqa: F401 - re-exported
    VERSION_KEY,
    dashboard_changed,
    dashboard_invalidate,
    dashboard_last_modified,
    dashboard_version,
)
from indicators.files import FileRejected, max_upload_bytes, read_table, require_columns
from indicators.importing import ImportRejected, ImportReport, observations_import
from indicators.models import (
    DashboardState,
    Geography,
    Indicator,
    IndicatorSummary,
    Observation,
    RemoteSource,
)
from indicators.statcan import CiMapping, parse_filters, statcan_import_bytes
from indicators.statcan.sources import Outcome, wds_sources_fetch
from indicators.vocabulary import PORTAL_COLUMNS

log = logging.getLogger(__name__)

Comparison = IndicatorSummary.Comparison
Trend = IndicatorSummary.Trend
Direction = Indicator.Direction
# A refresh that has not finished after this long is taken to have died with its worker.
REFRESH_STALE_AFTER = timedelta(minutes=10)
REFRESH_MAX_ROUNDS = 3
# Without confidence intervals, values within this share of Ontario's are called similar, and a
# five-period trend that moves less than this share of its mean is called stable.
SIMILAR_WITHIN = Decimal("0.05")
STABLE_WITHIN = 0.05
TREND_PERIODS = 5
MIN_TREND_POINTS = 3
SUMMARY_FIELDS = [
    "region_period", "region_value", "region_status", "province_period", "province_value",
    "comparison", "trend", "trend_periods", "latest", "sparkline", "computed_at", "error",
]
# Periods the overview's small trend line spans.
SPARKLINE_PERIODS = 10


# Summaries ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    period: str
    start: int
    end: int
    value: Decimal | None
    ci_low: Decimal | None
    ci_high: Decimal | None
    status: str


def compare(direction: str, region: Point | None, province: Point | None) -> str:
    """Return better, similar, worse or not compared for the region against Ontario.

    Overlapping confidence intervals (or a value inside the other's interval) count as similar.
    """
    if direction == Direction.NEUTRAL or not region or not province:
        return Comparison.NOT_COMPARED
    if region.value is None or province.value is None:
        return Comparison.NOT_COMPARED
    r_ci = region.ci_low is not None and region.ci_high is not None
    p_ci = province.ci_low is not None and province.ci_high is not None
    if r_ci and p_ci:
        similar = region.ci_low <= province.ci_high and province.ci_low <= region.ci_high
    elif r_ci:
        similar = region.ci_low <= province.value <= region.ci_high
    elif p_ci:
        similar = province.ci_low <= region.value <= province.ci_high
    else:
        base = abs(province.value) or Decimal(1)
        similar = abs(region.value - province.value) / base <= SIMILAR_WITHIN
    if similar:
        return Comparison.SIMILAR
    higher = region.value > province.value
    return Comparison.BETTER if higher == (direction == Direction.HIGHER_IS_BETTER) else (
        Comparison.WORSE
    )


def trend(direction: str, series: list[Point]) -> tuple[str, str]:
    """Return the trend over the last five periods with a value, and the span it covers.

    The least-squares slope, times the span, as a share of the mean: under 5% is stable.
    """
    points = [p for p in series if p.value is not None][-TREND_PERIODS:]
    span = ""
    if points:
        span = points[0].period if len(points) == 1 else f"{points[0].period}–{points[-1].period}"
    if direction == Direction.NEUTRAL:
        return Trend.NOT_ASSESSED, span
    if len(points) < MIN_TREND_POINTS:
        return Trend.NOT_ENOUGH_DATA, span
    xs = [(p.start + p.end) / 2 for p in points]
    ys = [float(p.value) for p in points]
    slope = statistics.linear_regression(xs, ys).slope
    mean = statistics.fmean(ys)
    change = slope * (xs[-1] - xs[0]) / (abs(mean) or 1.0)
    if abs(change) < STABLE_WITHIN:
        return Trend.STABLE, span
    rising = change > 0
    return (Trend.IMPROVING if rising == (direction == Direction.HIGHER_IS_BETTER)
            else Trend.WORSENING), span


def summarize(direction: str, series: dict[int, list[Point]], geographies: dict[int, Geography],
              now: datetime) -> dict:
    """Return the summary fields for one indicator from its series per geography id."""
    region_id = next((pk for pk, g in geographies.items() if g.level == "region"), None)
    province_id = next((pk for pk, g in geographies.items() if g.level == "province"), None)
    region_series = series.get(region_id, [])
    province_series = series.get(province_id, [])
    with_value = [p for p in region_series if p.value is not None]
    region = with_value[-1] if with_value else (region_series[-1] if region_series else None)
    province = None
    if region is not None:
        province = next(
            (p for p in province_series if p.period == region.period and p.value is not None),
            None,
        )
    if province is None:
        province = next((p for p in reversed(province_series) if p.value is not None), None)
    trend_word, span = trend(direction, region_series)
    latest = {}
    for pk, points in series.items():
        if points and pk in geographies:
            last = points[-1]
            latest[geographies[pk].slug] = {
                "period": last.period,
                "value": None if last.value is None else str(last.value),
                "status": last.status,
            }
    return {
        "region_period": region.period if region else "",
        "region_value": region.value if region else None,
        "region_status": region.status if region else "",
        "province_period": province.period if province else "",
        "province_value": province.value if province else None,
        "comparison": compare(direction, region, province),
        "trend": trend_word,
        "trend_periods": span,
        "latest": latest,
        "sparkline": [[(p.start + p.end) / 2, float(p.value)]
                      for p in with_value[-SPARKLINE_PERIODS:]],
        "computed_at": now,
        "error": "",
    }


@dataclass
class RefreshResult:
    indicators: int
    failures: int
    rounds: int


def _refresh_once() -> tuple[int, int]:
    """Recompute every published indicator's summary; return (indicators, failures).

    Three queries for the data whatever its size, then one bulk upsert.
    """
    now = timezone.now()
    geographies = {g.pk: g for g in Geography.objects.all()}
    indicators = dict(Indicator.objects.published().values_list("pk", "direction"))
    series: dict[int, dict[int, list[Point]]] = {pk: {} for pk in indicators}
    rows = (
        Observation.objects.filter(indicator__published=True)
        .order_by("indicator_id", "geography_id", "period_end", "period_start")
        .values_list("indicator_id", "geography_id", "period", "period_start", "period_end",
                     "value", "ci_low", "ci_high", "status")
    )
    for ind, geo, *rest in rows.iterator(chunk_size=5000):
        series[ind].setdefault(geo, []).append(Point(*rest))
    done, failed = [], {}
    for pk, direction in indicators.items():
        try:
            done.append(IndicatorSummary(indicator_id=pk, **summarize(
                direction, series[pk], geographies, now
            )))
        except Exception as exc:  # noqa: BLE001 - one bad indicator must not stop the others
            log.exception("Dashboard refresh failed for indicator %s", pk)
            failed[pk] = f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        IndicatorSummary.objects.bulk_create(
            done, batch_size=500, update_conflicts=True, unique_fields=["indicator"],
            update_fields=SUMMARY_FIELDS,
        )
        for pk, error in failed.items():
            # The previous figures stay on the page; staff see the error in the admin.
            IndicatorSummary.objects.update_or_create(
                indicator_id=pk, defaults={"error": error, "computed_at": now}
            )
        IndicatorSummary.objects.exclude(indicator_id__in=list(indicators)).delete()
    return len(indicators), len(failed)


def dashboard_refresh() -> RefreshResult | None:
    """Recompute the dashboard summaries, unless another refresh is running.

    The refresh claims the state row with a conditional UPDATE, so two workers never compute at
    once; a refresh asked for while one runs makes the running one go round again instead.
    """
    DashboardState.get()
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = DashboardState.objects.filter(pk=DashboardState.SINGLETON_ID).filter(
        Q(refresh_token="") | Q(refresh_started_at__lt=now - REFRESH_STALE_AFTER)
    ).update(refresh_token=token, refresh_started_at=now)
    if not claimed:
        DashboardState.objects.filter(pk=DashboardState.SINGLETON_ID).update(
            refresh_requested_at=now
        )
        log.info("Dashboard refresh already running; it will go round again.")
        return None
    rounds, total, failures = 0, 0, 0
    try:
        while rounds < REFRESH_MAX_ROUNDS:
            rounds += 1
            started = timezone.now()
            total, failures = _refresh_once()
            if not DashboardState.objects.filter(
                pk=DashboardState.SINGLETON_ID, refresh_requested_at__gte=started
            ).exists():
                break
    finally:
        DashboardState.objects.filter(
            pk=DashboardState.SINGLETON_ID, refresh_token=token
        ).update(refresh_token="", refresh_finished_at=timezone.now(), refresh_failures=failures)
        dashboard_invalidate()
    return RefreshResult(indicators=total, failures=failures, rounds=rounds)


# Files and remote sources ------------------------------------------------------------------------



def observations_import_file(data: bytes, filename: str = "", *, indicator: Indicator | None = None,
                             columns: dict | None = None, replace: bool = False,
                             announce: bool = True) -> ImportReport:
    """Import a portal-layout CSV or XLSX; ``columns`` maps our names to the file's.

    Raise ``FileRejected`` or ``ImportRejected``, having written nothing, when it is not right.
    """
    columns = {name: (columns or {}).get(name, name) for name in PORTAL_COLUMNS}
    header, rows = read_table(data, filename)
    needed = ["geography", "period", "value"] + ([] if indicator else ["indicator"])
    require_columns(header, [columns[name] for name in needed])
    renamed = (
        (number, {ours: raw.get(theirs, "") for ours, theirs in columns.items()})
        for number, raw in rows
    )
    return observations_import(renamed, indicator=indicator, replace=replace, announce=announce)


class DownloadFailed(Exception):
    pass


def download(url: str) -> bytes:
    """Fetch ``url`` with the configured timeout, refusing anything larger than the upload
    limit."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DownloadFailed(_("Only http and https addresses can be fetched."))
    timeout = getattr(settings, "INDICATORS_FETCH_TIMEOUT", 30)
    limit = max_upload_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": "CSWB-Portal/1.0"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise DownloadFailed(
            _("The server answered %(code)s %(reason)s.") % {"code": exc.code, "reason": exc.reason}
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadFailed(_("The download failed: %(reason)s.") % {"reason": reason}) from None
    if len(data) > limit:
        raise DownloadFailed(
            _("The file is larger than the %(limit)s MB limit.") % {"limit": limit // 1024 // 1024}
        )
    return data


def _file_source_fetch(source: RemoteSource) -> Outcome:
    """Download a file source and swap its data in (the refresh is left to the caller)."""
    try:
        data = download(source.url)
        filename = urlsplit(source.url).path.rsplit("/", 1)[-1]
        if source.layout == RemoteSource.Layout.STATCAN_CSV:
            filters = source.mapping.get("filters", {})
            if isinstance(filters, str):
                filters = parse_filters(filters)
            report = statcan_import_bytes(
                data, indicator=source.indicator, filters=filters, replace=True,
                ci=CiMapping.from_dict(source.mapping.get("ci")),
                geographies=source.mapping.get("geographies") or None, announce=False,
            ).report
        else:
            report = observations_import_file(
                data, filename, indicator=source.indicator,
                columns=source.mapping.get("columns", {}), replace=True, announce=False,
            )
    except (DownloadFailed, FileRejected, ImportRejected) as exc:
        log.warning("Remote source %s (%s) failed: %s", source.pk, source.url, exc)
        source.record_result(error=str(exc))
        return Outcome(source, "failed", str(exc))
    message = _("%(rows)s rows") % {"rows": report.rows}
    source.record_result(rows=report.rows, message=message, changed=True)
    return Outcome(source, "new", message, report.rows)


def sources_fetch(source_ids, *, force: bool = False, client=None) -> list[Outcome]:
    """Fetch the given sources now, each on its own; return one outcome per source fetched.

    A source another worker is fetching is skipped (``RemoteSource.claim``). Statistics Canada
    sources share their requests (``wds_sources_fetch``); when any figures changed, the
    dashboard is refreshed once, after all of them.
    """
    sources = [source for source in RemoteSource.objects.filter(pk__in=list(source_ids))
               .select_related("indicator").order_by("name") if source.claim()]
    wds = [s for s in sources if s.layout in RemoteSource.WDS_LAYOUTS]
    outcomes = wds_sources_fetch(wds, force=force, client=client) if wds else []
    outcomes += [_file_source_fetch(s) for s in sources if s.layout not in
                 RemoteSource.WDS_LAYOUTS]
    if any(outcome.status == "new" for outcome in outcomes):
        dashboard_changed()
    order = {source.pk: index for index, source in enumerate(sources)}
    return sorted(outcomes, key=lambda outcome: order[outcome.source.pk])


def source_fetch(*, source_id: int, force: bool = False) -> bool:
    """Fetch one source; on any failure keep the previous data and record the error. Return
    whether it succeeded."""
    outcomes = sources_fetch([source_id], force=force)
    return bool(outcomes) and outcomes[0].status in ("new", "unchanged")


def sources_fetch_all(*, force: bool = False) -> list[Outcome]:
    """Fetch every active source."""
    ids = RemoteSource.objects.filter(active=True).values_list("pk", flat=True)
    return sources_fetch(list(ids), force=force)


@dataclass
class SourcesQueued:
    """What ``sources_queue`` did: sources handed to a worker, and sources the broker refused
    (marked failed, saying so); the others asked for were being fetched already."""

    queued: int
    refused: int = 0


def sources_queue(*, source_ids) -> SourcesQueued:
    """Mark the sources queued and, once the transaction commits, hand each to a worker.

    Nothing is downloaded in the caller's request: the admin's "fetch now" returns at once and
    the source's state shows the fetch's progress. Called outside a transaction (the admin), the
    hand-over happens before this returns, and a source the broker did not take counts as refused.
    """
    from indicators.tasks import fetch_source

    now = timezone.now()
    ids = list(
        RemoteSource.objects.filter(pk__in=list(source_ids))
        .exclude(state=RemoteSource.State.RUNNING,
                 started_at__gte=now - RemoteSource.RUNNING_STALE_AFTER)
        .values_list("pk", flat=True)
    )
    RemoteSource.objects.filter(pk__in=ids).update(
        state=RemoteSource.State.QUEUED, queued_at=now, progress=_("Waiting for a worker")
    )
    taken = []
    for pk in ids:
        transaction.on_commit(lambda pk=pk: taken.append(_queue_fetch(fetch_source, pk)))
    if len(taken) < len(ids):  # in a transaction: handed over when it commits
        return SourcesQueued(queued=len(ids))
    return SourcesQueued(queued=taken.count(True), refused=taken.count(False))


def _queue_fetch(task, source_id: int) -> bool:
    if task_enqueue(task, source_id):
        return True
    # The broker is away: say so on the source rather than fail the admin's request.
    RemoteSource.objects.filter(pk=source_id, state=RemoteSource.State.QUEUED).update(
        state=RemoteSource.State.FAILED,
        progress="",
        last_error=_("Not fetched: the task queue did not answer. Choose \u201cFetch now\u201d "
                     "again in a minute; the nightly refresh fetches it anyway."),
    )
    return False
