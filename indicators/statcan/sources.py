"""Fetch the sources that read Statistics Canada tables through its Web Data Service.

One run (``wds_sources_fetch``) asks for the metadata of every table its sources use in one
request, skips a table whose ``releaseTime`` has not moved since the source's last good fetch,
resolves member names to coordinates and vectors on a source's first fetch (and checks them on
every later one, failing loudly when Statistics Canada renamed or terminated a member), then asks
for the data of every source's series in a few batched requests. Each source succeeds or fails
on its own: its previous figures stay when it fails, and the error is kept on it for the admin.
"""

import calendar
import contextlib
import io
import logging
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from indicators.files import FileRejected
from indicators.importing import ImportRejected, RowCleaner, clean_rows, observations_write
from indicators.models import Geography, Observation, RemoteSource, SourceSeries
from indicators.statcan.fulltable import CiMapping, statcan_import
from indicators.statcan.members import MemberSpec
from indicators.statcan.wds import Answer, WdsClient, WdsError, WdsRetryLater
from indicators.vocabulary import EMPTY_STATUSES

log = logging.getLogger(__name__)

Status = Observation.Status
Role = SourceSeries.Role
Layout = RemoteSource.Layout
STATCAN_TZ = ZoneInfo("America/Toronto")
# How long to wait before asking again for a table that is being published.
RETRY_AFTER_MINUTES = 30
# Months between releases, by WDS frequencyCode (monthly 6 ... every 10 years 17).
FREQUENCY_MONTHS = {6: 1, 7: 2, 9: 3, 11: 6, 12: 12, 13: 24, 14: 36, 15: 48, 16: 60, 17: 120}
# statusCode -> (our status, note); symbolCode 1 is preliminary, 3 revised; securityLevelCode 1
# is suppressed for confidentiality (x).
STATUS_CODES = {
    1: (Status.NOT_AVAILABLE, ""),
    7: (None, "Use with caution (E)."),
    8: (Status.SUPPRESSED, "Too unreliable to be published (F)."),
    9: (Status.NOT_AVAILABLE, "Not applicable (...)."),
}


class SourceFailed(Exception):
    """This source cannot be fetched now; the message is for the data steward."""


class SourceWaiting(SourceFailed):
    """Statistics Canada is publishing the table: try again later."""


@dataclass
class Outcome:
    """What one fetch did to one source: for the command's line and the admin."""

    source: RemoteSource
    status: str  # "new", "unchanged", "failed" or "waiting"
    message: str
    rows: int = 0

    def line(self) -> str:
        return f"{self.source.name}: {self.message}"


@dataclass
class _Planned:
    geography_id: int
    role: str
    coordinate: str
    members: list


@dataclass
class _Work:
    """A WDS source as the run goes through it."""

    source: RemoteSource
    metadata: dict | None = None
    release: datetime | None = None
    series: list = field(default_factory=list)  # SourceSeries, saved or not
    outcome: Outcome | None = None


def parse_release(text) -> datetime | None:
    """Return releaseTime ("2025-07-22T08:30", Toronto time) as an aware datetime."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text)[:19])
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=STATCAN_TZ)


def next_release(release: datetime | None, frequency) -> date | None:
    """Estimate the next release from the last one and the table's frequency."""
    months = FREQUENCY_MONTHS.get(frequency) if isinstance(frequency, int) else None
    if release is None or months is None:
        return None
    local = release.astimezone(STATCAN_TZ).date()
    month = local.month - 1 + months
    year, month = local.year + month // 12, month % 12 + 1
    return date(year, month, min(local.day, calendar.monthrange(year, month)[1]))


def _period(point: dict) -> str:
    start = str(point.get("refPer") or "")[:4]
    end = str(point.get("refPer2") or "")[:4]
    return f"{start}-{end}" if end and end != start else start


def point_to_raw(point: dict, geography: str) -> dict:
    """Map one WDS data point to the portal's raw row, honouring status, symbol and scale."""
    value = point.get("value")
    value = "" if value is None else str(value).strip()
    status, notes = Status.FINAL, []
    if point.get("securityLevelCode") == 1:
        status, value = Status.SUPPRESSED, ""
        notes.append(_("Suppressed for confidentiality (x)."))
    else:
        mapped, note = STATUS_CODES.get(point.get("statusCode"), (None, ""))
        if mapped is not None:
            status, value = mapped, ""
        if note:
            notes.append(_(note))
    if value == "" and status not in EMPTY_STATUSES:
        status = Status.NOT_AVAILABLE
    if point.get("symbolCode") == 1 and status == Status.FINAL:
        status = Status.PRELIMINARY
    elif point.get("symbolCode") == 3:
        notes.append(_("Revised (r)."))
    scale = point.get("scalarFactorCode") or 0
    if value and isinstance(scale, int) and scale:
        # A value that is not a number is left as it is: the row cleaner names it.
        with contextlib.suppress(InvalidOperation):
            value = str(Decimal(value) * (10 ** scale))
    return {"geography": geography, "period": _period(point), "value": value,
            "status": status, "note": " ".join(notes)}


# Resolving member names ----------------------------------------------------------------------


def _dimension(metadata: dict, name: str) -> dict:
    for dimension in metadata.get("dimension") or []:
        if str(dimension.get("dimensionNameEn", "")).strip().casefold() == name.strip().casefold():
            return dimension
    names = ", ".join(str(d.get("dimensionNameEn")) for d in metadata.get("dimension") or [])
    raise SourceFailed(_("The table has no dimension “%(name)s”; its dimensions are %(names)s.")
                       % {"name": name, "names": names})


def _member(dimension: dict, spec: MemberSpec) -> dict:
    members = dimension.get("member") or []
    found = [m for m in members
             if spec.matches(m.get("memberNameEn", ""), m.get("classificationCode") or "")]
    where = dimension.get("dimensionNameEn")
    if not found:
        sample = ", ".join(f"“{m.get('memberNameEn')}”" for m in members[:8])
        raise SourceFailed(
            _("No member of “%(dim)s” matches “%(spec)s”: Statistics Canada may have renamed "
              "or removed it. Members include %(sample)s.")
            % {"dim": where, "spec": spec, "sample": sample}
        )
    if len(found) > 1:
        names = ", ".join(f"“{m.get('memberNameEn')}”" for m in found[:8])
        raise SourceFailed(_("“%(spec)s” matches several members of “%(dim)s”: %(names)s. "
                             "Write the whole name.")
                           % {"spec": spec, "dim": where, "names": names})
    member = found[0]
    if member.get("terminated"):
        raise SourceFailed(_("The member “%(name)s” of “%(dim)s” is terminated: Statistics "
                             "Canada no longer updates it.")
                           % {"name": member.get("memberNameEn"), "dim": where})
    return member


def plan_series(source: RemoteSource, metadata: dict, places: dict[str, int]) -> list[_Planned]:
    """Return the coordinate of every series the source's mapping names, found by name."""
    mapping = source.mapping
    geo_dimension = mapping.get("geography_dimension", "Geography")
    chosen = {name.casefold(): spec for name, spec in mapping.get("members", {}).items()}
    ci = mapping.get("ci")
    if ci:
        chosen.pop(ci["dimension"].casefold(), None)
    dimensions = sorted(metadata.get("dimension") or [],
                        key=lambda d: d.get("dimensionPositionId", 0))
    for name in chosen:
        _dimension(metadata, name)  # a misspelt dimension fails here, with the real names
    if ci:
        _dimension(metadata, ci["dimension"])
    _dimension(metadata, geo_dimension)
    roles = [(Role.VALUE, ci["value"] if ci else None)]
    if ci:
        roles += [(Role.CI_LOW, ci["low"]), (Role.CI_HIGH, ci["high"])]
    planned = []
    for slug, geo_spec in mapping.get("geographies", {}).items():
        for role, ci_spec in roles:
            ids, members = [], []
            for dimension in dimensions:
                name = str(dimension.get("dimensionNameEn", ""))
                key = name.casefold()
                if key == geo_dimension.casefold():
                    spec = MemberSpec(geo_spec)
                elif ci and key == ci["dimension"].casefold():
                    spec = MemberSpec(ci_spec)
                elif key in chosen:
                    spec = MemberSpec(chosen[key])
                elif len(dimension.get("member") or []) == 1:
                    spec = MemberSpec("code:" + str(dimension["member"][0].get(
                        "classificationCode") or "")) if dimension["member"][0].get(
                        "classificationCode") else MemberSpec(dimension["member"][0].get(
                            "memberNameEn", ""))
                else:
                    sample = ", ".join(f"“{m.get('memberNameEn')}”"
                                       for m in (dimension.get("member") or [])[:6])
                    raise SourceFailed(_("Choose a member of “%(dim)s” in the mapping's "
                                         "members, e.g. %(sample)s.")
                                       % {"dim": name, "sample": sample})
                member = _member(dimension, spec)
                ids.append(str(member["memberId"]))
                members.append([name, member["memberId"], member.get("memberNameEn", "")])
            coordinate = ".".join(ids + ["0"] * (10 - len(ids)))
            planned.append(_Planned(places[slug], role, coordinate, members))
    return planned


def check_stored(series: list[SourceSeries], metadata: dict) -> None:
    """Fail loudly when a member a stored series was resolved to is renamed, gone or
    terminated."""
    by_name = {str(d.get("dimensionNameEn", "")).casefold(): d
               for d in metadata.get("dimension") or []}
    for item in series:
        for dim_name, member_id, member_name in item.members:
            dimension = by_name.get(str(dim_name).casefold())
            if dimension is None:
                raise SourceFailed(_("Statistics Canada removed the dimension “%(dim)s” from the "
                                     "table.") % {"dim": dim_name})
            member = next((m for m in dimension.get("member") or []
                           if m.get("memberId") == member_id), None)
            if member is None:
                raise SourceFailed(_("Statistics Canada removed the member “%(name)s” (ID "
                                     "%(id)s) of “%(dim)s”.")
                                   % {"name": member_name, "id": member_id, "dim": dim_name})
            if " ".join(str(member.get("memberNameEn", "")).split()) != " ".join(
                    str(member_name).split()):
                raise SourceFailed(_("Statistics Canada renamed the member “%(old)s” of "
                                     "“%(dim)s” to “%(new)s”: check it is still what the "
                                     "indicator measures, then correct the mapping.")
                                   % {"old": member_name, "dim": dim_name,
                                      "new": member.get("memberNameEn")})
            if member.get("terminated"):
                raise SourceFailed(_("The member “%(name)s” of “%(dim)s” is terminated: "
                                     "Statistics Canada no longer updates it.")
                                   % {"name": member_name, "dim": dim_name})


# The run ---------------------------------------------------------------------------------------


# An answer whose pieces are not what the guide documents (a list where an object should be,
# a missing key) fails the source it belongs to, never the whole run.
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError)


def _fail(work: _Work, exc: Exception) -> None:
    status = "waiting" if isinstance(exc, SourceWaiting | WdsRetryLater) else "failed"
    message = str(exc)
    if isinstance(exc, SHAPE_ERRORS):
        message = _("Statistics Canada's answer is not in the documented shape (%(error)s).") % {
            "error": f"{type(exc).__name__}: {exc}"}
    work.outcome = Outcome(work.source, status, message)


def _answer_error(answer: Answer, what: str) -> SourceFailed:
    message = _("%(what)s: Statistics Canada answered FAILED (%(message)s).") % {
        "what": what, "message": answer.message}
    return SourceWaiting(message) if answer.retry_later else SourceFailed(message)


def _prepare(work: _Work, places: dict[str, int], stored: list[SourceSeries]) -> list[_Planned]:
    """Check the stored series and plan the source's cells; return those needing a vector."""
    source = work.source
    check_stored(stored, work.metadata)
    planned = plan_series(source, work.metadata, places)
    known = {(s.geography_id, s.role): s for s in stored}
    if {(p.geography_id, p.role, p.coordinate) for p in planned} == {
            (s.geography_id, s.role, s.coordinate) for s in stored}:
        work.series = [known[(p.geography_id, p.role)] for p in planned]
        return []
    # First fetch, or the steward changed the mapping: resolve the vectors anew.
    work.series = [SourceSeries(source=source, geography_id=p.geography_id, role=p.role,
                                coordinate=p.coordinate, members=p.members, vector_id=0)
                   for p in planned]
    return planned


def _unchanged(work: _Work) -> bool:
    source = work.source
    # The state field reads "running" now (the caller claimed the source): look at the outcome.
    return (source.last_success_at is not None and not source.last_error
            and source.release_time is not None
            and work.release is not None and work.release <= source.release_time
            and all(s.pk for s in work.series))


def _write_series_rows(work: _Work, points: dict[int, list[dict]]) -> Outcome:
    """Turn the fetched points into observations; keep a figure rather than overwrite it with a
    suppressed or unavailable one."""
    source = work.source
    geographies = dict(Geography.objects.values_list("pk", "slug"))
    rows: dict[tuple[str, str], dict] = {}
    ends: dict[tuple[str, str, str], str] = {}
    for series in work.series:
        slug = geographies[series.geography_id]
        for point in points.get(series.vector_id, []):
            raw = point_to_raw(point, slug)
            if series.role == Role.VALUE:
                rows[(slug, raw["period"])] = raw
            else:
                ends[(slug, raw["period"], series.role)] = raw["value"]
    for (slug, period), raw in rows.items():
        if raw["value"]:
            raw["ci_low"] = ends.get((slug, period, Role.CI_LOW), "")
            raw["ci_high"] = ends.get((slug, period, Role.CI_HIGH), "")
    numbered = [(number, raw) for number, raw in enumerate(rows.values(), start=1)]
    if not numbered:
        raise SourceFailed(_("Statistics Canada returned no data points for these series."))
    try:
        cleaned = clean_rows(numbered, RowCleaner(indicator=source.indicator))
    except ImportRejected as exc:
        raise SourceFailed(_("The data points cannot be used: %(errors)s")
                           % {"errors": exc.summary()}) from None
    existing = {
        (obs.geography_id, obs.period): obs
        for obs in Observation.objects.filter(indicator=source.indicator,
                                              geography_id__in={s.geography_id
                                                                for s in work.series})
    }
    write, new, changed, kept = [], 0, 0, []
    for row in cleaned:
        old = existing.get((row.geography_id, row.period))
        if old is None:
            new += 1
        elif row.status in EMPTY_STATUSES and old.value is not None:
            kept.append(f"{geographies[row.geography_id]} {row.period}")
            continue
        elif (old.value, old.status, old.ci_low, old.ci_high, old.note) == (
                row.value, row.status, row.ci_low, row.ci_high, row.note):
            continue
        else:
            changed += 1
        write.append(row)
    if write:
        observations_write(write, announce=False)
    parts = []
    if new or changed:
        parts.append(ngettext("%(n)s new row", "%(n)s new rows", new) % {"n": new})
        if changed:
            parts.append(ngettext("%(n)s revised", "%(n)s revised", changed) % {"n": changed})
    else:
        parts.append(_("unchanged"))
    if kept:
        parts.append(_("suppressed or unavailable now, previous figures kept: %(which)s")
                     % {"which": ", ".join(kept)})
    return Outcome(source, "new" if write else "unchanged", "; ".join(parts), len(cleaned))


def _fetch_table(work: _Work, client: WdsClient) -> Outcome:
    """Download the table's CSV ZIP and import the matching rows through the full-table
    importer, streaming (a table of millions of rows never sits in memory)."""
    source = work.source
    mapping = source.mapping
    url = client.full_table_url(source.product_id)
    limit = settings.STATCAN_TABLE_MAX_BYTES
    last = [0.0]

    def progress(text):
        if time.monotonic() - last[0] > 2:
            last[0] = time.monotonic()
            source.set_progress(text)

    with tempfile.TemporaryFile() as handle:
        size = client.download(url, handle, limit=limit, progress=lambda done: progress(
            _("Downloading the table: %(mb)s MB") % {"mb": done // 1024 // 1024}))
        if size == 0:
            raise SourceFailed(_("The table's ZIP file is empty."))
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
            name = f"{source.product_id}.csv"
            if name not in archive.namelist():
                raise SourceFailed(_("The ZIP file has no %(name)s (it holds %(names)s).")
                                   % {"name": name, "names": ", ".join(archive.namelist())})
            with archive.open(name) as raw:
                lines = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                result = statcan_import(
                    lines, indicator=source.indicator, filters=mapping.get("filters", {}),
                    ci=CiMapping.from_dict(mapping.get("ci")),
                    geographies=mapping.get("geographies") or None, announce=False,
                    progress=lambda done: progress(
                        _("Reading the table: %(rows)s rows") % {"rows": f"{done:,}"}),
                )
        except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
            raise SourceFailed(_("The table's ZIP file is damaged or cut off (%(error)s).")
                               % {"error": exc}) from None
        except UnicodeDecodeError:
            raise SourceFailed(_("The table's CSV is not UTF-8 text.")) from None
        except (FileRejected, ImportRejected) as exc:
            raise SourceFailed(str(exc)) from None
    return Outcome(source, "new", _("%(kept)s rows imported from %(read)s rows of the table")
                   % {"kept": result.kept, "read": f"{result.read:,}"}, result.kept)


def _finish(work: _Work) -> None:
    """Record the outcome on the source (and the release metadata on its indicator)."""
    source, outcome = work.source, work.outcome
    if outcome.status == "waiting":
        source.record_result(message=outcome.message, waiting_until=timezone.now()
                             + timedelta(minutes=RETRY_AFTER_MINUTES))
        return
    if outcome.status == "failed":
        log.warning("Source %s (%s) failed: %s", source.pk, source.name, outcome.message)
        source.record_result(error=outcome.message)
        return
    with transaction.atomic():
        unsaved = [s for s in work.series if not s.pk]
        if unsaved:
            source.series.all().delete()
            SourceSeries.objects.bulk_create(work.series)
        title = str((work.metadata or {}).get("cubeTitleEn") or source.table_title)[:500]
        RemoteSource.objects.filter(pk=source.pk).update(table_title=title)
        source.table_title = title
        indicator = source.indicator
        updates = {}
        expected = next_release(work.release, (work.metadata or {}).get("frequencyCode"))
        if expected and indicator.next_release != expected:
            updates["next_release"] = expected
        if not indicator.source_url:
            updates["source_url"] = source.table_url
        if not indicator.licence:
            updates["licence"] = "statcan-open"
        if updates:
            type(indicator).objects.filter(pk=indicator.pk).update(**updates)
        source.record_result(rows=outcome.rows, message=outcome.message,
                             changed=outcome.status == "new", release_time=work.release)


def wds_sources_fetch(sources: list[RemoteSource], *, client: WdsClient | None = None,
                      force: bool = False) -> list[Outcome]:
    """Fetch WDS sources (already claimed by the caller); return one outcome per source.

    ``force`` downloads even a table whose release time has not moved.
    """
    client = client or WdsClient()
    places = dict(Geography.objects.values_list("slug", "pk"))
    works = [_Work(source) for source in sources]
    product_ids = sorted({w.source.product_id for w in works if w.source.product_id})
    try:
        answers = dict(zip(product_ids, client.cube_metadata(product_ids), strict=True))
    except WdsError as exc:
        for work in works:
            _fail(work, exc)
    else:
        for work in works:
            answer = answers.get(work.source.product_id)
            if answer is None:
                _fail(work, SourceFailed(_("The source names no valid table number.")))
            elif not answer.ok:
                _fail(work, _answer_error(answer, _("Table %(table)s")
                                          % {"table": work.source.table_number}))
            elif not isinstance(answer.obj, dict):
                _fail(work, TypeError(_("the table's metadata is not an object")))
            else:
                work.metadata = answer.obj
                work.release = parse_release(answer.obj.get("releaseTime"))

    stored = {}
    for series in SourceSeries.objects.filter(source__in=[w.source for w in works]):
        stored.setdefault(series.source_id, []).append(series)
    to_resolve: list[tuple[_Work, SourceSeries]] = []
    for work in works:
        if work.outcome is not None:
            continue
        try:
            if work.source.layout == Layout.WDS_SERIES:
                needed = _prepare(work, places, stored.get(work.source.pk, []))
                if needed:
                    to_resolve += [(work, s) for s in work.series]
            if not force and _unchanged(work):
                work.outcome = Outcome(work.source, "unchanged", _(
                    "unchanged (table released %(when)s)")
                    % {"when": date_format(work.release.astimezone(STATCAN_TZ), "DATETIME_FORMAT")})
        except (SourceFailed, *SHAPE_ERRORS) as exc:
            _fail(work, exc)

    # First fetches: the vector of each new cell, in one batched request.
    if to_resolve:
        try:
            infos = client.series_info([(w.source.product_id, s.coordinate)
                                        for w, s in to_resolve])
        except WdsError as exc:
            infos = None
            for work in {id(w): w for w, _s in to_resolve}.values():
                _fail(work, exc)
        for (work, series), answer in zip(to_resolve, infos or [], strict=False):
            if work.outcome is not None:
                continue
            if not answer.ok:
                _fail(work, _answer_error(answer, _("Series %(coord)s")
                                          % {"coord": series.coordinate}))
                continue
            try:
                series.vector_id = int(answer.obj.get("vectorId") or 0)
                series.title = str(answer.obj.get("SeriesTitleEn") or "")[:500]
            except SHAPE_ERRORS as exc:
                _fail(work, exc)
                continue
            if not series.vector_id:
                _fail(work, SourceFailed(_("Statistics Canada gave no vector for %(coord)s.")
                                         % {"coord": series.coordinate}))

    # Data: every pending series source's vectors in batched requests.
    pending = [w for w in works if w.outcome is None and w.source.layout == Layout.WDS_SERIES]
    cells = [(s.vector_id, w.source.periods) for w in pending for s in w.series]
    owners = [w for w in pending for _s in w.series]
    points: dict[int, dict[int, list]] = {}
    if cells:
        try:
            data = client.vectors_latest(cells)
        except WdsError as exc:
            data = None
            for work in pending:
                _fail(work, exc)
        for (vector, _n), work, answer in zip(cells, owners, data or [], strict=False):
            if work.outcome is not None:
                continue
            if not answer.ok:
                _fail(work, _answer_error(answer, _("Vector v%(v)s") % {"v": vector}))
                continue
            got = answer.obj.get("vectorId") if isinstance(answer.obj, dict) else "?"
            if got is not None and str(got) != str(vector):
                _fail(work, SourceFailed(_("Asked for vector v%(asked)s, got v%(got)s.")
                                         % {"asked": vector, "got": got}))
                continue
            points.setdefault(id(work), {})[vector] = answer.obj.get("vectorDataPoint") or []
    for work in works:
        if work.outcome is None:
            try:
                if work.source.layout == Layout.WDS_SERIES:
                    work.outcome = _write_series_rows(work, points.get(id(work), {}))
                else:
                    work.outcome = _fetch_table(work, client)
            except (SourceFailed, WdsError, *SHAPE_ERRORS) as exc:
                _fail(work, exc)
        _finish(work)
    return [work.outcome for work in works]
