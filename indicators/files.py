"""Read uploaded or downloaded tables (CSV or XLSX) safely.

The checks before parsing (size, format, zip and XML bombs) are the project's own
(``cswb.lib.spreadsheets``); this module reads the rows.
"""

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from cswb.lib.spreadsheets import (  # noqa: F401 - re-exported for the app's callers
    ENTITIES_REFUSED,
    FileRejected,
    check_size,
    check_xlsx_archive,
    max_upload_bytes,
    sniff_format,
)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRejected(
                _("The CSV file is not text in UTF-8 or Windows-1252.")
            ) from None


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:
        raise FileRejected(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def _is_defused(exc: BaseException) -> bool:
    """Return True when defusedxml refused the XML, however deep openpyxl wrapped it."""
    from defusedxml import DefusedXmlException

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _xlsx_rows(data: bytes) -> Iterator[list]:
    import openpyxl

    check_xlsx_archive(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield ["" if cell is None else cell for cell in row]
        workbook.close()
    except FileRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl and defusedxml raise many kinds
        if _is_defused(exc):
            raise FileRejected(str(ENTITIES_REFUSED)) from None
        raise FileRejected(_("The XLSX file cannot be read: %(error)s") % {"error": exc}) from None


def read_table(data: bytes, filename: str = "") -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Return the header and the rows as (spreadsheet row number, dict) pairs.

    Row numbers count the header as row 1, as a spreadsheet shows them. Blank rows are skipped.
    """
    check_size(len(data))
    kind = sniff_format(data, filename)
    rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    try:
        header = next(rows)
    except StopIteration:
        raise FileRejected(_("The file is empty.")) from None
    header = [str(name).strip() for name in header]
    if len(set(header)) != len(header):
        raise FileRejected(_("Two columns have the same name in the header row."))

    def numbered():
        for number, row in enumerate(rows, start=2):
            if not any(str(cell).strip() for cell in row):
                continue
            if len(row) > len(header):
                raise FileRejected(
                    _("Row %(row)s has more cells than the header has columns.")
                    % {"row": number}
                )
            yield number, dict(zip(header, row, strict=False))

    return header, numbered()


def require_columns(header: list[str], needed: list[str]) -> None:
    missing = [name for name in needed if name not in header]
    if missing:
        raise FileRejected(
            _("The file lacks the column(s) %(missing)s; its header row has %(found)s.")
            % {"missing": ", ".join(missing), "found": ", ".join(header) or _("nothing")}
        )
