"""Every phone number a resident reads can be called with one tap: it is a ``tel:`` link, on the
public pages and in the HTML emails."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from cswb.outbox.services import render_email
from cswb.tests.public_pages import build_site, page_urls

# Ten-digit numbers anywhere; the short ones where a sentence asks to call or text them (a bare
# "311" or "988" in a table of figures is a count, not a phone number).
# "555-01xx" numbers are fictional: the phone field's example, not a number to call.
PHONE = re.compile(
    r"\b(?:1-)?\d{3}-(?!555-01)\d{3}-\d{4}\b"
    r"|\b(?:call|calling|text|dial|or|at)\s+(?:or text\s+)?(?:911|311|211|988)\b",
    re.I,
)


class TextOutsideTelLinks(HTMLParser):
    """Collect the visible text that is not inside an ``<a href="tel:...">``."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag in {"a", "script", "style"}:
            href = dict(attrs).get("href") or ""
            self.stack.append(tag == "a" and href.startswith("tel:") or tag != "a")

    def handle_endtag(self, tag):
        if tag in {"a", "script", "style"} and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        self.parts.append(" ¶ " if any(self.stack) else data)

    @classmethod
    def of(cls, html: str) -> str:
        parser = cls()
        parser.feed(html)
        return " ".join("".join(parser.parts).split())


def unlinked_numbers(html: str) -> list[str]:
    text = TextOutsideTelLinks.of(html)
    return [text[max(m.start() - 30, 0):m.end()] for m in PHONE.finditer(text)]


def test_it_finds_a_number_that_is_not_a_link():
    assert unlinked_numbers("<p>In an emergency, call 911.</p>") == ["In an emergency, call 911"]
    assert unlinked_numbers('<p>Call <a href="tel:911">911</a> or 905-825-4777.</p>') == [
        "Call ¶ or 905-825-4777"
    ]
    assert unlinked_numbers('<p>In an emergency, call <a href="tel:911">911</a>.</p>') == []


def test_numbers_in_text_staff_typed_become_links():
    html = Template("{% load cswb_ui %}{{ advice|tel_links }}").render(Context({
        "advice": "Call 211, or <b>905-825-4777</b>. In an emergency, call 911. 311 calls a day.",
    }))
    assert html == (
        'Call <a href="tel:211">211</a>, or &lt;b&gt;<a href="tel:+19058254777">905-825-4777</a>'
        '&lt;/b&gt;. In an emergency, call <a href="tel:911">911</a>. 311 calls a day.'
    )
    assert unlinked_numbers(html) == []


@pytest.mark.django_db
def test_every_phone_number_on_the_public_pages_is_a_tel_link(client, settings):
    settings.INDICATORS_SAMPLE_DATA = True
    problems, numbers_seen = [], 0
    for _name, url in page_urls(build_site()):
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        numbers_seen += response.text.count('href="tel:')
        problems += [f"{url}: …{found}" for found in unlinked_numbers(response.text)]
    assert numbers_seen > 50
    assert not problems, "\n".join(problems)


def test_every_phone_number_in_the_html_emails_is_a_tel_link():
    root = Path(settings.BASE_DIR) / "templates" / "emails"
    problems = []
    for path in sorted(root.glob("*-body.html")):
        _subject, _text, html = render_email(path.name.removesuffix("-body.html"), {})
        problems += [f"{path.name}: …{found}" for found in unlinked_numbers(html)]
    assert not problems, "\n".join(problems)
