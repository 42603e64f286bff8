from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

from indicators.models import Indicator, IndicatorSummary, Observation

register = template.Library()

Unit = Indicator.Unit
Comparison = IndicatorSummary.Comparison
Trend = IndicatorSummary.Trend
Status = Observation.Status

COMPARISON_SYMBOLS = {
    Comparison.BETTER: "▲",
    Comparison.SIMILAR: "≈",
    Comparison.WORSE: "▼",
    Comparison.NOT_COMPARED: "–",
}
TREND_SYMBOLS = {
    Trend.IMPROVING: "↑",
    Trend.STABLE: "→",
    Trend.WORSENING: "↓",
    Trend.NOT_ENOUGH_DATA: "–",
    Trend.NOT_ASSESSED: "–",
}


def format_number(value, indicator, *, short: bool = False) -> str:
    """Return ``value`` with the indicator's decimals and unit, e.g. "8.2%" or "$1,250".

    ``short`` leaves out "per 1,000" and "per 100,000", for tables whose caption names the unit.
    """
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{number:,.{indicator.decimals}f}"
    unit = indicator.unit
    if unit == Unit.PERCENT:
        return f"{text}%"
    if unit == Unit.DOLLARS:
        return f"-${text[1:]}" if text.startswith("-") else f"${text}"
    if short:
        return text
    if unit == Unit.RATE_1000:
        return _("%(value)s per 1,000") % {"value": text}
    if unit == Unit.RATE_100000:
        return _("%(value)s per 100,000") % {"value": text}
    return text


@register.simple_tag
def figure(value, indicator, status="", short=False):
    """Render a value for people: the number with its unit, or why there is none."""
    if status == Status.SUPPRESSED:
        return _("Suppressed")
    if status == Status.NOT_AVAILABLE or value is None or value == "":
        return _("Not available")
    text = format_number(value, indicator, short=short)
    if status == Status.PRELIMINARY:
        text = _("%(value)s (preliminary)") % {"value": text}
    return text


@register.filter
def comparison_symbol(code):
    return COMPARISON_SYMBOLS.get(code, "–")


@register.filter
def trend_symbol(code):
    return TREND_SYMBOLS.get(code, "–")


# Looked up once per cell on pages with hundreds of rows: plain dicts, not enum lookups.
COMPARISON_LABELS = dict(Comparison.choices)
TREND_LABELS = dict(Trend.choices)


@register.filter
def comparison_label(code):
    return COMPARISON_LABELS.get(code, COMPARISON_LABELS[Comparison.NOT_COMPARED])


@register.filter
def trend_label(code):
    return TREND_LABELS.get(code, TREND_LABELS[Trend.NOT_ENOUGH_DATA])


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
