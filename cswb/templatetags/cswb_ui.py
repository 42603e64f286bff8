"""Template helpers every page shares: the error summary's items, the scrolling table region,
dates with their weekday and phone numbers that can be called."""

import html
import re

from django import template
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join, strip_tags

from cswb.lib import forms as form_lib

register = template.Library()

CAPTION = re.compile(r"<caption\b(?P<attrs>[^>]*)>(?P<text>.*?)</caption>", re.S | re.I)
# A North American number (905-825-4777, 1-866-442-5866), or a three-digit service line where
# the sentence asks to call it ("call 911", "text 988"): a bare "311" may be a count.
PHONE_NUMBER = re.compile(
    r"(?<![\w-])(?P<long>(?:1-)?\d{3}-\d{3}-\d{4})(?![\w-])"
    r"|(?P<verb>\b(?:call|text|dial)(?: or text)? )(?P<short>[2-9]11|988)\b",
    re.I,
)


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


@register.filter
def tel_links(text):
    """Return ``text`` (typed by staff), escaped, with each phone number in it a ``tel:`` link."""
    text = str(text)
    pieces, end = [], 0
    for match in PHONE_NUMBER.finditer(text):
        pieces.append(conditional_escape(text[end:match.start()]))
        if match.group("long"):
            digits = re.sub(r"\D", "", match.group("long"))
            number, uri = match.group("long"), f"tel:+1{digits[-10:]}"
        else:
            pieces.append(conditional_escape(match.group("verb")))
            number = match.group("short")
            uri = f"tel:{number}"
        pieces.append(format_html('<a href="{}">{}</a>', uri, number))
        end = match.end()
    pieces.append(conditional_escape(text[end:]))
    return format_html_join("", "{}", ((piece,) for piece in pieces))


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
