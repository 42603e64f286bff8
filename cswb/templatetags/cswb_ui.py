"""Template helpers every page shares: the error summary's items, the scrolling table region and
dates with their weekday."""

import html
import re

from django import template
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import strip_tags

from cswb.lib import forms as form_lib

register = template.Library()

CAPTION = re.compile(r"<caption\b(?P<attrs>[^>]*)>(?P<text>.*?)</caption>", re.S | re.I)


@register.filter
def error_items(form):
    """Return the form's errors for the summary (see ``cswb.lib.forms.error_summary``)."""
    return form_lib.error_summary(form)


@register.filter(expects_localtime=True)
def with_weekday(value, format_name="DATETIME_FORMAT"):
    """Return ``value`` after its weekday, in the site's format: "Thursday, December 31, 2026,
    11:59 p.m." (``|with_weekday:"DATE_FORMAT"`` leaves the time out)."""
    if value in (None, ""):
        return ""
    return f"{date_format(value, 'l')}, {date_format(value, format_name)}"


@register.tag
def scrolltable(parser, token):
    """Wrap a table in a region that scrolls sideways on narrow screens.

    ``{% scrolltable %}<table>…<caption>…</caption>…</table>{% endscrolltable %}``

    The region can take keyboard focus (so arrow keys scroll it), is named after the table's
    caption and shows a cue when it is wider than the screen. ``{% scrolltable "Label" %}``
    names a table that has no caption.
    """
    bits = token.split_contents()
    if len(bits) > 2:
        raise template.TemplateSyntaxError("scrolltable takes at most one argument, a label.")
    label = parser.compile_filter(bits[1]) if len(bits) == 2 else None
    nodelist = parser.parse(("endscrolltable",))
    parser.delete_first_token()
    return ScrollTableNode(nodelist, label)


class ScrollTableNode(template.Node):
    def __init__(self, nodelist, label):
        self.nodelist = nodelist
        self.label = label

    def render(self, context):
        content = self.nodelist.render(context)
        if self.label:
            label = str(self.label.resolve(context))
        else:
            match = CAPTION.search(content)
            caption = strip_tags(match.group("text")) if match else ""
            # The caption was escaped when it was rendered; the include escapes the label again.
            label = html.unescape(" ".join(caption.split()))
        if not label:
            raise template.TemplateSyntaxError(
                "A scrolltable needs a <caption> or a label: a keyboard user tabs to the region "
                "and must hear what it holds."
            )
        return render_to_string(
            "includes/scroll_table.html", {"table": content, "label": label}
        )
