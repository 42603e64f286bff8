"""Parse the text of one cell: periods, numbers and statuses. A leaf module (no app imports
but ``vocabulary``), used by the models' validation and by every importer."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from indicators.vocabulary import ObservationStatus as Status

PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*(?:-|–|/|to)\s*(\d{4}|\d{2}))?\s*$")
NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")
STATUS_WORDS = {
    "": "",
    "final": Status.FINAL,
    "preliminary": Status.PRELIMINARY,
    "suppressed": Status.SUPPRESSED,
    "not_available": Status.NOT_AVAILABLE,
    "not available": Status.NOT_AVAILABLE,
    "n/a": Status.NOT_AVAILABLE,
    # Statistics Canada's symbols, which partners often carry into their own files.
    "p": Status.PRELIMINARY,
    "x": Status.SUPPRESSED,
    "..": Status.NOT_AVAILABLE,
}


def parse_period(text) -> tuple[str, int, int]:
    """Return (label, first year, last year) for "2021", "2017-2018", "2017/18" or "2017–2018".

    Raise ``ValidationError`` for anything else.
    """
    match = PERIOD_RE.match(str(text if text is not None else ""))
    if not match:
        raise ValidationError(
            _("The period “%(period)s” is not a year (2021) or a span of years (2017-2018)."),
            code="bad_period", params={"period": text},
        )
    start = int(match[1])
    end = start
    if match[2]:
        end = int(match[2]) if len(match[2]) == 4 else (start // 100) * 100 + int(match[2])
    if not 1900 <= start <= 2100 or not start <= end <= start + 10:
        raise ValidationError(
            _("The period “%(period)s” is outside 1900-2100 or its span runs backwards."),
            code="bad_period", params={"period": text},
        )
    label = str(start) if start == end else f"{start}-{end}"
    return label, start, end


def parse_number(text, *, what: str) -> Decimal | None:
    """Return the decimal in ``text`` (thousands separators allowed), None when it is empty."""
    if text is None:
        return None
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return Decimal(str(text))
    cleaned = str(text).strip()
    if cleaned == "":
        return None
    if not NUMBER_RE.match(cleaned) or cleaned in {"+", "-", "."}:
        raise ValidationError(
            _("The %(what)s “%(text)s” is not a number."),
            code="not_a_number", params={"what": what, "text": text},
        )
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:
        raise ValidationError(
            _("The %(what)s “%(text)s” is not a number."),
            code="not_a_number", params={"what": what, "text": text},
        ) from None


def parse_status(text) -> str:
    """Return the status code for a word or symbol; an empty text gives ""."""
    word = str(text or "").strip().lower().replace("-", " ")
    if word not in STATUS_WORDS and word.replace(" ", "_") not in STATUS_WORDS:
        raise ValidationError(
            _("The status “%(status)s” is not one of final, preliminary (p), suppressed (x), "
              "not available (..)."),
            code="bad_status", params={"status": text},
        )
    return STATUS_WORDS.get(word, STATUS_WORDS.get(word.replace(" ", "_")))
