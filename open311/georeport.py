"""The GeoReport v2 wire format: parameters in, XML or JSON out, errors in the standard's shape.

Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) answers every call in XML, which the
standard requires, or JSON, chosen by the URL's extension. An error is a list of
``{"code": <HTTP status>, "description": "..."}`` in JSON and ``<errors><error>`` in XML, with the
same HTTP status.
"""

import json
import re
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The tag of each item in an XML list, by the list's tag.
LIST_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Tags and comments: descriptions are plain text for staff to read, and a calling system that
# sends markup has sent something other than what the resident said.
HTML = re.compile(r"<!--|</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")
# Characters XML 1.0 cannot carry, even escaped (staff may paste them into a response).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Parameters that take several values are named with a trailing "[]", e.g. attribute[x][].
MULTI = "[]"


class GeoReportError(Exception):
    """An answer in the standard's error shape: ``status`` is both the HTTP status and the code."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


class Params:
    """The request's parameters from the query string and, for a POST, the form body.

    Each parameter may come once, in either place: a second value (``service_code=a&
    service_code=b``, or ``api_key`` both in the URL and the body) is refused rather than
    guessed at, except for list parameters whose names end in ``[]``.
    """

    def __init__(self, request):
        try:
            sources = [request.GET]
            if request.method == "POST":
                sources.append(request.POST)
            self.values: dict[str, list[str]] = {}
            for source in sources:
                for name in source:
                    self.values.setdefault(name, []).extend(source.getlist(name))
        except SuspiciousOperation as exc:  # too many fields, or an unreadable body
            raise GeoReportError(400, f"The request could not be read: {exc}") from None
        repeated = sorted(
            name for name, values in self.values.items()
            if len(values) > 1 and not name.endswith(MULTI)
        )
        if repeated:
            raise GeoReportError(
                400, f"Give each parameter once; repeated: {', '.join(repeated)}."
            )

    def get(self, name: str) -> str:
        values = self.values.get(name)
        return values[0].strip() if values else ""

    def __contains__(self, name: str) -> bool:
        return bool(self.get(name))


# Answers ------------------------------------------------------------------------------------


def _to_xml(parent, tag: str, value) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element, tag: str, value) -> None:
    if isinstance(value, list):
        for item in value:
            _to_xml(element, LIST_ITEMS[tag], item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _to_xml(element, key, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("", str(value))


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    """Return ``data`` (a list or a dict) as XML under ``<root>`` or as JSON."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=str)
    else:
        element = ElementTree.Element(root)
        _fill(element, root, data)
        body = ElementTree.tostring(element, encoding="unicode", xml_declaration=False)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def render_error(fmt: str, error: GeoReportError) -> HttpResponse:
    return render(
        fmt, "errors", [{"code": error.status, "description": error.description}], error.status
    )


def w3c(moment) -> str | None:
    """Return ``moment`` as W3C date-time in local time with its offset, or None."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


# Values -------------------------------------------------------------------------------------


def parse_moment(name: str, value: str) -> datetime:
    """Return a W3C date or date-time as an aware datetime; a time without an offset is local.

    A date alone is its first moment for ``start_date`` and its last for ``end_date``.
    """
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            moment = datetime.combine(day, time.max if name == "end_date" else time.min)
    except ValueError:
        raise GeoReportError(
            400, f"{name} must be a W3C date-time such as 2026-01-31T09:00:00-05:00."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_coordinate(name: str, value: str, low: int, high: int) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise GeoReportError(400, f"{name} must be a number in degrees (WGS84).") from None
    if not number.is_finite() or not low <= number <= high:
        raise GeoReportError(400, f"{name} must be between {low} and {high} degrees (WGS84).")
    return number.quantize(Decimal("0.000001"))


def check_plain_text(name: str, value: str) -> None:
    if HTML.search(value):
        raise GeoReportError(400, f"{name} must be plain text, without HTML.")
