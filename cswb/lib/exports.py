"""Safe spreadsheet exports: cells a spreadsheet would run as formulas are escaped."""

import csv
from decimal import Decimal

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """Return ``value`` with a leading apostrophe when a spreadsheet would run it.

    Numbers stay numbers, so a negative value is still a number in the sheet.
    """
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download, escaping every cell."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff"  # a BOM so spreadsheet programs read the file as UTF-8
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([escape_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
