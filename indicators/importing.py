"""Validate rows of observations and write them in bulk, all or nothing.

Every way data comes in (admin upload, Statistics Canada tables, remote sources) hands rows to
``RowCleaner``; nothing is written until every row is valid, and the errors name each bad row.
"""

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from indicators.dashboard import dashboard_changed
from indicators.models import Geography, Indicator, Observation
from indicators.parsing import parse_number, parse_period, parse_status
from indicators.vocabulary import EMPTY_STATUSES

Status = Observation.Status

# Translated only when an error is raised: a row that is fine costs no gettext call.
WHAT_VALUE = gettext_lazy("value")
WHAT_CI_LOW = gettext_lazy("confidence low")
WHAT_CI_HIGH = gettext_lazy("confidence high")
MAX_ERRORS = 50
BATCH_SIZE = 2000
UPDATE_FIELDS = ["period_start", "period_end", "value", "ci_low", "ci_high", "status", "note"]


@dataclass
class RowError:
    row: int
    message: str

    def __str__(self):
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class ImportRejected(Exception):
    """A file was refused; ``errors`` names each bad row (the first MAX_ERRORS of them)."""

    def __init__(self, errors: list[RowError], *, more: int = 0):
        self.errors = errors
        self.more = more
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [str(error) for error in self.errors]
        if self.more:
            lines.append(_("… and %(count)s more rows with errors.") % {"count": self.more})
        return "\n".join(lines)


@dataclass(slots=True)
class CleanRow:
    """A valid observation, ready to write: foreign keys as ids."""

    indicator_id: int
    geography_id: int
    period: str
    period_start: int
    period_end: int
    value: Decimal | None
    ci_low: Decimal | None
    ci_high: Decimal | None
    status: str
    note: str

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.indicator_id, self.geography_id, self.period)

    def as_observation(self) -> Observation:
        return Observation(
            indicator_id=self.indicator_id, geography_id=self.geography_id, period=self.period,
            period_start=self.period_start, period_end=self.period_end, value=self.value,
            ci_low=self.ci_low, ci_high=self.ci_high, status=self.status, note=self.note,
        )


@dataclass
class RowCleaner:
    """Turn raw rows (dicts of text) into ``CleanRow``s, with every lookup cached.

    The lookups take two queries however many rows there are. ``indicator`` fixes the indicator
    when the file has no indicator column (Statistics Canada tables, remote sources).
    """

    indicator: Indicator | None = None
    indicators: dict = field(default_factory=dict)
    geographies: dict = field(default_factory=dict)
    seen: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.indicator is None:
            self.indicators = {
                slug.lower(): pk for slug, pk in Indicator.objects.values_list("slug", "pk")
            }
        for pk, code, slug, dguid, name in Geography.objects.values_list(
            "pk", "code", "slug", "dguid", "name"
        ):
            for key in (code, slug, dguid, name):
                if key:
                    self.geographies[key.lower()] = pk

    def geography_id(self, text) -> int:
        key = str(text or "").strip().lower()
        if key not in self.geographies:
            raise ValidationError(
                _("Unknown geography “%(geo)s”: use a Statistics Canada code (e.g. 3524), "
                  "DGUID or name of Ontario, Halton Region or one of its municipalities."),
                code="unknown_geography", params={"geo": text},
            )
        return self.geographies[key]

    def indicator_id(self, text) -> int:
        if self.indicator is not None:
            return self.indicator.pk
        key = str(text or "").strip().lower()
        if key not in self.indicators:
            raise ValidationError(
                _("Unknown indicator “%(slug)s”: use the slug of an existing indicator."),
                code="unknown_indicator", params={"slug": text},
            )
        return self.indicators[key]

    def clean(self, raw: dict, *, row_number: int) -> CleanRow:
        """Return the row as a ``CleanRow``; raise ``ValidationError`` with every problem."""
        errors = []
        values = {}
        checks = [
            ("indicator_id", lambda: self.indicator_id(raw.get("indicator"))),
            ("geography_id", lambda: self.geography_id(raw.get("geography"))),
            ("period", lambda: parse_period(raw.get("period"))),
            ("status", lambda: parse_status(raw.get("status"))),
            ("ci_low", lambda: parse_number(raw.get("ci_low"), what=WHAT_CI_LOW)),
            ("ci_high", lambda: parse_number(raw.get("ci_high"), what=WHAT_CI_HIGH)),
        ]
        for name, check in checks:
            try:
                values[name] = check()
            except ValidationError as exc:
                errors.extend(exc.messages)
        status = values.get("status", "")
        raw_value = raw.get("value")
        value_unreadable = False
        try:
            value = parse_number(raw_value, what=WHAT_VALUE)
        except ValidationError as exc:
            value_unreadable = status not in EMPTY_STATUSES
            # A symbol such as "x" or ".." is fine where the status says why there is no number.
            if status not in EMPTY_STATUSES:
                errors.append(
                    exc.messages[0] + " " + _("If it is suppressed or not available, leave the "
                                              "value empty and say so in the status column.")
                )
            value = None
        if "status" in values and not value_unreadable:
            if value is None and status in ("", Status.FINAL, Status.PRELIMINARY):
                errors.append(_("The value is empty: give it, or set the status to suppressed "
                                "or not available."))
            elif value is not None and status in EMPTY_STATUSES:
                errors.append(_("A %(status)s row must have an empty value.")
                              % {"status": Status(status).label.lower()})
        ci_low, ci_high = values.get("ci_low"), values.get("ci_high")
        if (ci_low is None) != (ci_high is None):
            errors.append(_("Give both ends of the confidence interval, or neither."))
        elif ci_low is not None and (
            ci_low > ci_high or (value is not None and not ci_low <= value <= ci_high)
        ):
            errors.append(_("The confidence interval must run from low to high around the "
                            "value."))
        note = str(raw.get("note") or "").strip()
        if len(note) > 500:
            errors.append(_("The note is longer than 500 characters."))
        if errors:
            raise ValidationError(errors)
        label, start, end = values["period"]
        row = CleanRow(
            indicator_id=values["indicator_id"], geography_id=values["geography_id"],
            period=label, period_start=start, period_end=end, value=value,
            ci_low=ci_low, ci_high=ci_high, status=status or Status.FINAL, note=note,
        )
        first = self.seen.setdefault(row.key, row_number)
        if first != row_number:
            raise ValidationError(
                _("Duplicate of row %(first)s (same indicator, geography and period)."),
                code="duplicate", params={"first": first},
            )
        return row


def clean_rows(rows: Iterable[tuple[int, dict]], cleaner: RowCleaner, *,
               empty_message: str = "") -> list[CleanRow]:
    """Clean numbered rows; raise ``ImportRejected`` naming the bad ones, having written nothing.
    """
    cleaned, errors, more = [], [], 0
    for number, raw in rows:
        try:
            cleaned.append(cleaner.clean(raw, row_number=number))
        except ValidationError as exc:
            if len(errors) < MAX_ERRORS:
                errors.append(RowError(number, " ".join(exc.messages)))
            else:
                more += 1
    if errors:
        raise ImportRejected(errors, more=more)
    if not cleaned:
        raise ImportRejected([RowError(0, empty_message or _("The file has no rows of data."))])
    return cleaned


def _batches(rows: list[CleanRow]) -> Iterator[list[Observation]]:
    # Model instances are built per batch so memory stays flat on large files.
    for start in range(0, len(rows), BATCH_SIZE):
        yield [row.as_observation() for row in rows[start:start + BATCH_SIZE]]


COPY_COLUMNS = ["indicator_id", "geography_id", "period", *UPDATE_FIELDS]


def _copy_upsert(rows: list[CleanRow]) -> None:
    """Upsert through COPY into a temporary table and one INSERT ... ON CONFLICT.

    PostgreSQL only. COPY streams the rows with no per-row SQL, several times faster than
    INSERT ... VALUES batches; the table is dropped when the transaction ends.
    """
    table = Observation._meta.db_table
    temp = f"indicators_import_{uuid.uuid4().hex[:12]}"
    columns = ", ".join(COPY_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in UPDATE_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "  # noqa: S608 - names are ours
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((
                    row.indicator_id, row.geography_id, row.period, row.period_start,
                    row.period_end, row.value, row.ci_low, row.ci_high, row.status, row.note,
                ))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temp} "  # noqa: S608
            f"ON CONFLICT (indicator_id, geography_id, period) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DROP TABLE {temp}")


@dataclass
class ImportReport:
    rows: int
    indicators: int
    replaced: int = 0

    def __str__(self):
        return _("%(rows)s observations imported for %(indicators)s indicators.") % {
            "rows": self.rows, "indicators": self.indicators,
        }


def observations_write(rows: list[CleanRow], *, replace_indicator_ids=(),
                       announce: bool = True) -> ImportReport:
    """Write clean rows in one transaction: insert, or update the existing (indicator,
    geography, period). With ``replace_indicator_ids``, those indicators' other observations
    are deleted first, so the file becomes their whole series (a swap).

    The indicators' ``data_updated_at`` is set. ``announce=False`` leaves the dashboard refresh
    to the caller (a fetch of many sources refreshes once, at the end).
    """
    with transaction.atomic():
        replaced = 0
        if replace_indicator_ids:
            replaced, _detail = Observation.objects.filter(
                indicator_id__in=list(replace_indicator_ids)
            ).delete()
        if connection.vendor == "postgresql":
            _copy_upsert(rows)
        else:
            for batch in _batches(rows):
                Observation.objects.bulk_create(
                    batch,
                    update_conflicts=True,
                    unique_fields=["indicator", "geography", "period"],
                    update_fields=UPDATE_FIELDS,
                )
        Indicator.objects.filter(pk__in={row.indicator_id for row in rows}).update(
            data_updated_at=timezone.now()
        )
        if announce:
            dashboard_changed()
    return ImportReport(
        rows=len(rows), indicators=len({row.indicator_id for row in rows}), replaced=replaced
    )


def observations_import(rows: Iterable[tuple[int, dict]], *, indicator: Indicator | None = None,
                        replace: bool = False, announce: bool = True) -> ImportReport:
    """Validate every numbered row, then write them all; raise ``ImportRejected`` otherwise."""
    cleaned = clean_rows(rows, RowCleaner(indicator=indicator))
    replace_ids = {row.indicator_id for row in cleaned} if replace else ()
    return observations_write(cleaned, replace_indicator_ids=replace_ids, announce=announce)
