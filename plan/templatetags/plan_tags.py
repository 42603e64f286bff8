"""Template tags for the plan's pages, and for the action-table and indicator pages that name
the plan's priorities and outcomes (those apps never import ``plan``: their templates load
these tags)."""

from django import template
from django.utils.formats import date_format

from plan import selectors
from plan.models import DatePrecision

register = template.Library()

FORMATS = {
    DatePrecision.DAY: "DATE_FORMAT",
    DatePrecision.MONTH: "YEAR_MONTH_FORMAT",
    DatePrecision.YEAR: "Y",
}


@register.filter
def plan_date(value, precision=DatePrecision.DAY):
    """Format ``value`` to the precision it is known to: "November 14, 2017" or "November 2017"."""
    if not value:
        return ""
    return date_format(value, FORMATS.get(precision, FORMATS[DatePrecision.DAY]))


@register.inclusion_tag("plan/_for_table.html")
def plan_for_table(table):
    """Name the priorities and outcomes of the plan in force that ``table`` serves."""
    return {"table": table, "strategies": selectors.strategies_for_table(table)}


@register.inclusion_tag("plan/_for_indicator.html")
def plan_for_indicator(indicator):
    """Name the outcomes of the plan in force that ``indicator`` measures."""
    return {"indicator": indicator, "outcomes": selectors.outcomes_for_indicator(indicator)}


@register.inclusion_tag("plan/_progress.html")
def progress_badge(entry):
    """Show an outcome's progress as a symbol and words (colour only repeats them)."""
    return {"entry": entry}
