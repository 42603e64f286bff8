"""Read Statistics Canada's full-table CSV format into observation rows for one indicator.

A full table holds every geography and every combination of its dimensions. A mapping picks the
rows: a filter on the dimension columns (e.g. Sex = "Both sexes") and our geographies' DGUIDs;
other geographies are skipped. Status symbols become our statuses: ".." and "..." not available,
"x" and "F" suppressed, "E" kept with a use-with-caution note, and "p" (in SYMBOL) preliminary.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

from indicators.files import FileRejected, _decode, check_size
from indicators.importing import ImportReport, RowCleaner, clean_rows, observations_write
from indicators.models import Geography, Indicator, Observation
from indicators.statcan.members import GeoMatcher
from indicators.vocabulary import STATCAN_REQUIRED_COLUMNS

Status = Observation.Status
REQUIRED = STATCAN_REQUIRED_COLUMNS
SCALE_WORDS = {
    "units": 0, "tens": 1, "hundreds": 2, "thousands": 3, "tens of thousands": 4,
    "hundreds of thousands": 5, "millions": 6, "tens of millions": 7,
    "hundreds of millions": 8, "billions": 9,
}
PROGRESS_EVERY = 10_000


@dataclass
class StatcanResult:
    report: ImportReport
    read: int
    kept: int


def parse_filters(text: str) -> dict[str, str]:
    """Parse "Column = value" lines (the admin form's and the command's filter syntax)."""
    filters = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, value = line.partition("=")
        if not sep or not column.strip():
            raise FileRejected(
                _("Filter line %(line)s should read “Column = value”.") % {"line": number}
            )
        filters[column.strip()] = value.strip()
    return filters


def _scale(row: dict) -> int:
    scalar_id = str(row.get("SCALAR_ID") or "").strip()
    if scalar_id.isdigit():
        return int(scalar_id)
    word = str(row.get("SCALAR_FACTOR") or "units").strip().lower()
    return SCALE_WORDS.get(word, 0)


def to_raw_row(row: dict) -> dict:
    """Map one Statistics Canada row to the portal's raw row (geography, period, value, ...)."""
    status_symbol = str(row.get("STATUS") or "").strip()
    symbol = str(row.get("SYMBOL") or "").strip()
    value = str(row.get("VALUE") or "").strip()
    notes = []
    status = Status.FINAL
    if status_symbol in ("..", "...", ".") or (value == "" and status_symbol not in ("x", "F")):
        status, value = Status.NOT_AVAILABLE, ""
    elif status_symbol in ("x", "F"):
        status, value = Status.SUPPRESSED, ""
        notes.append(
            _("Suppressed for confidentiality (x).") if status_symbol == "x"
            else _("Too unreliable to be published (F).")
        )
    elif status_symbol == "E":
        notes.append(_("Use with caution (E)."))
    if symbol == "p" and status == Status.FINAL:
        status = Status.PRELIMINARY
    elif symbol == "r":
        notes.append(_("Revised (r)."))
    if value:
        scale = _scale(row)
        if scale:
            value = str(_scaled(value, scale))
    return {
        "geography": row.get("DGUID", ""),
        "period": row.get("REF_DATE", ""),
        "value": value,
        "status": status,
        "note": " ".join(notes),
    }


def _scaled(value: str, scale: int):
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(value) * (10 ** scale)
    except InvalidOperation:
        return value  # left as is: the row cleaner reports it as not a number


@dataclass(frozen=True)
class CiMapping:
    """Where a table keeps confidence intervals: rows told apart by one column's label."""

    column: str
    value: str
    low: str
    high: str

    @classmethod
    def from_dict(cls, data: dict | None) -> "CiMapping | None":
        if not data:
            return None
        try:
            return cls(**{key: str(data[key]).strip() for key in ("column", "value", "low",
                                                                    "high")})
        except KeyError as exc:
            raise FileRejected(
                _("The confidence-interval mapping lacks “%(key)s”.") % {"key": exc.args[0]}
            ) from None


def select_rows(lines: Iterable[str], filters: dict[str, str],
                progress: Callable[[int], None] | None = None,
                ci: CiMapping | None = None,
                geographies: dict[str, str] | None = None) -> Iterator[tuple[int, dict]]:
    """Yield (file row number, raw row) for the rows that match the filter and our places.

    A row is ours when its DGUID is one of our geographies', or, with ``geographies`` (our
    slug to the table's GEO name, e.g. a police service), when its GEO name matches. With
    ``ci``, the rows labelled as the interval's low and high ends are attached to the value row
    of the same place and period (they may come anywhere in the file). Rows are read as lists
    and only ours become dicts: most of a large table is skipped at the cost of one lookup.
    """
    reader = csv.reader(lines)
    try:
        header = [name.strip().lstrip("\ufeff").strip('"') for name in next(reader)]
    except StopIteration:
        header = []
    except csv.Error as exc:
        raise FileRejected(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None
    needed = REQUIRED + list(filters) + ([ci.column] if ci else []) + (
        ["GEO"] if geographies else [])
    missing = [name for name in needed if name not in header]
    if missing:
        raise FileRejected(
            _("This is not the Statistics Canada table the mapping expects: it lacks the "
              "column(s) %(missing)s.") % {"missing": ", ".join(missing)}
        )
    dguids = {dguid for dguid in Geography.objects.values_list("dguid", flat=True) if dguid}
    dguid_at = header.index("DGUID")
    geo_at = header.index("GEO") if geographies else None
    by_name = GeoMatcher(geographies) if geographies else None
    checks = [(header.index(column), value) for column, value in filters.items()]
    width = len(header)
    kept, ends = [], {}
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            if progress and number % PROGRESS_EVERY == 0:
                progress(number - 1)
            if len(cells) < width:
                if not any(cell.strip() for cell in cells):
                    continue
                raise FileRejected(
                    _("Row %(row)s has %(found)s cells where the header has %(width)s columns: "
                      "the file is cut off or not in Statistics Canada's layout.")
                    % {"row": number, "found": len(cells), "width": width}
                )
            geography = cells[dguid_at] if cells[dguid_at] in dguids else None
            if geography is None and by_name is not None:
                geography = by_name(cells[geo_at])
            if geography is None:
                continue
            if any(cells[at].strip() != value for at, value in checks):
                continue
            row = dict(zip(header, cells, strict=False))
            row["DGUID"] = geography
            if ci is None:
                yield number, to_raw_row(row)
                continue
            label = str(row.get(ci.column, "")).strip()
            if label == ci.value:
                kept.append((number, to_raw_row(row)))
            elif label in (ci.low, ci.high):
                end = "ci_low" if label == ci.low else "ci_high"
                raw = to_raw_row(row)
                ends[(raw["geography"], raw["period"], end)] = raw["value"]
    except csv.Error as exc:
        raise FileRejected(_("The CSV file cannot be read at row %(row)s: %(error)s")
                           % {"row": number + 1, "error": exc}) from None
    if progress:
        progress(number - 1)
    for number, raw in kept:
        if raw["value"]:
            for end in ("ci_low", "ci_high"):
                raw[end] = ends.get((raw["geography"], raw["period"], end), "")
        yield number, raw


def statcan_import(lines: Iterable[str], *, indicator: Indicator, filters: dict[str, str],
                   replace: bool = False, ci: CiMapping | None = None,
                   progress: Callable[[int], None] | None = None,
                   geographies: dict[str, str] | None = None,
                   announce: bool = True) -> StatcanResult:
    """Import the matching rows of a full-table CSV into ``indicator``, all or nothing.

    The file is read as a stream: memory holds only the matching rows, whatever its size.
    """
    counter = {"read": 0}

    def counting(done):
        counter["read"] = done
        if progress:
            progress(done)

    cleaner = RowCleaner(indicator=indicator)
    cleaned = clean_rows(
        select_rows(lines, filters, counting, ci=ci, geographies=geographies), cleaner,
        empty_message=_("No row matches the filter and the DGUIDs of Ontario, Halton and its "
                        "municipalities."),
    )
    report = observations_write(
        cleaned, replace_indicator_ids={indicator.pk} if replace else (), announce=announce
    )
    return StatcanResult(report=report, read=counter["read"], kept=len(cleaned))


def statcan_import_bytes(data: bytes, **kwargs) -> StatcanResult:
    check_size(len(data))
    if data.startswith(b"PK\x03\x04"):
        raise FileRejected(
            _("Statistics Canada tables are imported from their CSV file; unzip the download "
              "first and upload the data CSV, not the metadata.")
        )
    return statcan_import(io.StringIO(_decode(data), newline=""), **kwargs)
