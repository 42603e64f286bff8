from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def cad(value, decimals=2):
    """Format dollars the way Canadian English writes them: $1,234.50 (no dollar sign added)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    return f"{number:,.{int(decimals)}f}"
