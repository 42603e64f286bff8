"""Safe spreadsheet exports: cells a spreadsheet would run as formulas are escaped.

Every export goes through ``escape_cell``: the project's CSV downloads (``csv_response``), the
open-data files, and the admin's CSV and XLSX exports (``EscapedExportMixin`` on every
django-import-export resource).
"""

import csv
import io
import re
import unicodedata
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = frozenset("=+-@")
# A text that is only a number is no formula, even with a sign ("-5" from a CSV export).
PLAIN_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def _runs_as_formula(text: str) -> bool:
    """Return True when a spreadsheet could read ``text`` as a formula.

    Spreadsheets skip leading spaces, line breaks and invisible characters (zero-width space,
    byte-order mark, no-break space) and read full-width or small forms of = + - @ as the
    plain ones, so those count too. Tab and carriage return count on their own.
    """
    if text[0] in "\t\r\n":
        return True
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in {"Cc", "Cf", "Zs", "Zl", "Zp"}:
            continue
        return unicodedata.normalize("NFKC", char)[:1] in FORMULA_STARTS
    return False


def escape_cell(value):
    """Return ``value`` with a leading apostrophe when a spreadsheet would run it.

    Numbers stay numbers, so a negative value is still a number in the sheet; so does text that
    is only a number.
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text and _runs_as_formula(text) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class EscapedExportMixin:
    """For django-import-export resources: every exported cell goes through ``escape_cell``."""

    def export_field(self, field, instance, **kwargs):
        return escape_cell(super().export_field(field, instance, **kwargs))


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download, escaping every cell."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # a BOM so spreadsheet programs read the file as UTF-8
        yield writer.writerow([escape_cell(cell) for cell in header])
        for row in rows:
            yield writer.writerow([escape_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(filename: str, sheets: list[tuple[str, list[str], list]]) -> HttpResponse:
    """Return a workbook download with one sheet per (title, header, rows), escaping every cell.

    Sheet titles are cut to Excel's 31 characters.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([escape_cell(cell) for cell in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([escape_cell(cell) for cell in row])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
