from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html, format_html_join
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


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 96, 24, 3


@register.simple_tag
def sparkline(points):
    """Draw a small trend line of [year, value] pairs as inline SVG, spaced by time.

    Decorative: the figures beside it are the text, so it is hidden from assistive technology.
    Nothing is drawn for fewer than two points (a single figure is shown as a figure).
    """
    points = [(float(x), float(y)) for x, y in (points or [])]
    if len(points) < 2:
        return ""
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    width, height = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD

    def place(x, y):
        px = SPARK_PAD + (x - x0) / ((x1 - x0) or 1) * width
        py = SPARK_PAD + (height / 2 if y1 == y0 else (y1 - y) / (y1 - y0) * height)
        return f"{px:.1f},{py:.1f}"

    path = " ".join(place(x, y) for x, y in points)
    last = place(*points[-1]).split(",")
    return format_html(
        '<svg class="sparkline" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'aria-hidden="true" focusable="false"><polyline points="{path}" fill="none" '
        'stroke="currentColor" stroke-width="1.5"/><circle cx="{cx}" cy="{cy}" r="2.2" '
        'fill="currentColor"/></svg>',
        w=SPARK_WIDTH, h=SPARK_HEIGHT, path=path, cx=last[0], cy=last[1],
    )


@register.simple_tag
def bar_chart(rows, indicator):
    """Draw horizontal bars for (label, value) rows as inline SVG, hidden from assistive
    technology: the table beside it holds the same figures. Negative values are not drawn."""
    values = [float(value) for _label, value in rows if value is not None]
    top = max([v for v in values if v > 0], default=0)
    if not top:
        return ""
    label_width, bar_width, row_height = 130, 220, 26
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * row_height
        parts.append(format_html('<text x="0" y="{}" class="bar-label">{}</text>', y + 17,
                                 label))
        if value is not None and float(value) > 0:
            width = float(value) / top * bar_width
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="18" class="bar"/>'
                '<text x="{}" y="{}" class="bar-value">{}</text>',
                label_width, y + 4, f"{width:.1f}", f"{label_width + width + 4:.1f}", y + 17,
                format_number(value, indicator, short=True)))
    height = len(rows) * row_height
    total = label_width + bar_width + 90
    return format_html(
        '<svg class="bar-chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'aria-hidden="true" focusable="false">{}</svg>',
        format_html_join("", "{}", ((part,) for part in parts)), w=total, h=height,
    )
