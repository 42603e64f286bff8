"""Read uploaded or downloaded tables (CSV or XLSX) safely.

A file is refused when it is too large, is neither CSV nor XLSX, or is an XLSX whose compressed
parts would expand past a limit (zip bomb) or whose XML declares entities (openpyxl parses through
defusedxml, which refuses them).
"""

import csv
import io
import zipfile
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
XLSX_MAX_EXPANDED_BYTES = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
ZIP_MAGIC = b"PK\x03\x04"


ENTITIES_REFUSED = _lazy(
    "The XLSX file declares XML entities, which are refused (a possible XML bomb)."
)


class FileRejected(Exception):
    """The file cannot be read; the message says why in words staff understand."""


def max_upload_bytes() -> int:
    return getattr(settings, "INDICATORS_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES)


def check_size(size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise FileRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": round(size / 1024 / 1024, 1), "limit": round(limit / 1024 / 1024, 1)}
        )


def sniff_format(data: bytes, filename: str = "") -> str:
    """Return "xlsx" or "csv"; raise ``FileRejected`` for anything else."""
    name = filename.lower()
    if data.startswith(ZIP_MAGIC):
        if name and not name.endswith(".xlsx"):
            raise FileRejected(_("Only CSV and XLSX files can be imported."))
        return "xlsx"
    if name and not name.endswith((".csv", ".txt")):
        raise FileRejected(_("Only CSV and XLSX files can be imported."))
    head = data[:4096]
    if b"\x00" in head:
        raise FileRejected(_("The file is not a CSV or XLSX file (it holds binary data)."))
    return "csv"


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an XLSX that is not a valid archive or would expand far beyond its size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileRejected(_("The XLSX file is damaged: it is not a valid archive.")) from None
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names:
            raise FileRejected(_("The file is an archive but not an XLSX workbook."))
        expanded = sum(member.file_size for member in members)
        compressed = sum(member.compress_size for member in members) or 1
        if expanded > XLSX_MAX_EXPANDED_BYTES or expanded / compressed > XLSX_MAX_RATIO:
            raise FileRejected(
                _("The XLSX file expands to %(size)s MB of XML, far beyond its size: it is "
                  "refused as a possible zip bomb.") % {"size": expanded // 1024 // 1024}
            )
        # A DOCTYPE comes before the root element, so the head of each part tells. openpyxl's
        # defusedxml parser would refuse entities too; this gives the clearer message early.
        for member in members:
            if member.filename.endswith((".xml", ".rels")):
                with archive.open(member) as part:
                    head = part.read(4096)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRejected(str(ENTITIES_REFUSED))


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
