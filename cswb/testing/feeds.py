"""Check a feed against the MUSTs of RFC 4287 (Atom) and of RSS 2.0, for the tests of any feed.

The W3C Feed Validation Service checks these same rules (and some SHOULDs); its code is public,
but the rules below are the ones a feed of ours can break.
"""

import re
import xml.etree.ElementTree as ET  # noqa: S405 - parses our own feeds, in tests
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

ATOM_NS = "http://www.w3.org/2005/Atom"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
A = f"{{{ATOM_NS}}}"

# RFC 3339 date-time, as section 3.3 of RFC 4287 asks ("T" and "Z" upper case).
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# RFC 4151: tag:<authority>,<date>:<specific>
TAG_URI = re.compile(
    r"^tag:(?:[A-Za-z0-9.-]+|[^@\s]+@[A-Za-z0-9.-]+),\d{4}(?:-\d{2}(?:-\d{2})?)?:\S*$"
)
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
TEXT_TYPES = {"text", "html", "xhtml"}


class FeedError(AssertionError):
    pass


def _is_iri(value: str) -> bool:
    if value.startswith("tag:"):
        return bool(TAG_URI.match(value))
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"urn", "mailto"}) and (
        not re.search(r"\s", value)
    )


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks = []

    def handle_data(self, data):
        self.chunks.append(data)


def html_to_text(markup: str) -> str:
    """Return the text a feed reader shows for an ``type="html"`` construct."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.chunks).split())


def _one(parent, tag: str, where: str, problems: list[str], *, required: bool = True):
    found = parent.findall(tag)
    name = tag.replace(A, "atom:")
    if len(found) > 1 or (required and not found):
        problems.append(f"{where} has {len(found)} {name} (exactly one is required)")
    return found[0] if found else None


def _text_construct(element, where: str, problems: list[str]) -> None:
    kind = element.get("type", "text")
    name = element.tag.replace(A, "atom:")
    if kind not in TEXT_TYPES:
        problems.append(f"{where} {name} has type={kind!r}, not text, html or xhtml")
    elif kind in {"text", "html"} and len(element):
        problems.append(f"{where} {name} of type {kind} has child elements (markup not escaped)")
    elif kind == "xhtml":
        children = list(element)
        if len(children) != 1 or children[0].tag != f"{{{XHTML_NS}}}div":
            problems.append(f"{where} {name} of type xhtml must hold exactly one xhtml:div")


def _person(person, where: str, problems: list[str]) -> None:
    _one(person, f"{A}name", where, problems)
    uri = _one(person, f"{A}uri", where, problems, required=False)
    if uri is not None and not _is_iri(uri.text or ""):
        problems.append(f"{where} author uri {uri.text!r} is not an IRI")
    email = _one(person, f"{A}email", where, problems, required=False)
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+$", email.text or ""):
        problems.append(f"{where} author email {email.text!r} is not an address")


def _links(parent, where: str, problems: list[str]) -> list:
    links = parent.findall(f"{A}link")
    alternates = set()
    for link in links:
        if not link.get("href"):
            problems.append(f"{where} has an atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where} has two alternate links of the same type and hreflang")
            alternates.add(key)
    return links


def _date(element, where: str, problems: list[str]) -> None:
    if element is not None and not RFC3339.match(element.text or ""):
        name = element.tag.replace(A, "atom:")
        problems.append(f"{where} {name} {element.text!r} is not RFC 3339")


def atom_problems(document: bytes) -> list[str]:
    """Return every way ``document`` breaks a MUST of RFC 4287 (an empty list if none)."""
    root = ET.fromstring(document)  # noqa: S314 - our own feed
    problems: list[str] = []
    if root.tag != f"{A}feed":
        return [f"the root element is {root.tag}, not atom:feed"]
    lang = root.get(XML_LANG)
    if lang is not None and not LANGUAGE_TAG.match(lang):
        problems.append(f"xml:lang {lang!r} is not a language tag")

    feed_id = _one(root, f"{A}id", "the feed", problems)
    if feed_id is not None and not _is_iri(feed_id.text or ""):
        problems.append(f"the feed id {feed_id.text!r} is not an absolute IRI")
    title = _one(root, f"{A}title", "the feed", problems)
    if title is not None:
        _text_construct(title, "the feed", problems)
    _date(_one(root, f"{A}updated", "the feed", problems), "the feed", problems)
    for tag in ("subtitle", "rights"):
        element = _one(root, f"{A}{tag}", "the feed", problems, required=False)
        if element is not None:
            _text_construct(element, "the feed", problems)
    feed_authors = root.findall(f"{A}author")
    for author in feed_authors:
        _person(author, "the feed", problems)
    links = _links(root, "the feed", problems)
    if not any(link.get("rel") == "self" for link in links):
        problems.append("the feed has no atom:link rel=self")
    for category in root.findall(f"{A}category"):
        if not category.get("term"):
            problems.append("the feed has an atom:category without term")

    ids = set()
    for n, entry in enumerate(root.findall(f"{A}entry"), 1):
        where = f"entry {n}"
        entry_id = _one(entry, f"{A}id", where, problems)
        if entry_id is not None:
            if not _is_iri(entry_id.text or ""):
                problems.append(f"{where} id {entry_id.text!r} is not an absolute IRI")
            if entry_id.text in ids:
                problems.append(f"{where} repeats the id {entry_id.text!r}")
            ids.add(entry_id.text)
        entry_title = _one(entry, f"{A}title", where, problems)
        if entry_title is not None:
            _text_construct(entry_title, where, problems)
        _date(_one(entry, f"{A}updated", where, problems), where, problems)
        _date(_one(entry, f"{A}published", where, problems, required=False), where, problems)
        authors = entry.findall(f"{A}author")
        if not authors and not feed_authors and entry.find(f"{A}source") is None:
            problems.append(f"{where} has no atom:author and neither has the feed")
        for author in authors:
            _person(author, where, problems)
        entry_links = _links(entry, where, problems)
        content = _one(entry, f"{A}content", where, problems, required=False)
        summary = _one(entry, f"{A}summary", where, problems, required=False)
        if summary is not None:
            _text_construct(summary, where, problems)
        if content is None and not any(
            link.get("rel", "alternate") == "alternate" for link in entry_links
        ):
            problems.append(f"{where} has neither atom:content nor an alternate link")
        if content is not None:
            if content.get("src") and summary is None:
                problems.append(f"{where} has content by src but no atom:summary")
            if content.get("type", "text") in TEXT_TYPES:
                _text_construct(content, where, problems)
        for category in entry.findall(f"{A}category"):
            if not category.get("term"):
                problems.append(f"{where} has an atom:category without term")
    return problems


def rss_problems(document: bytes) -> list[str]:
    """Return every way ``document`` breaks a required element of RSS 2.0."""
    root = ET.fromstring(document)  # noqa: S314 - our own feed
    problems: list[str] = []
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["the root element is not <rss version=\"2.0\">"]
    channel = root.find("channel")
    if channel is None:
        return ["there is no <channel>"]
    for tag in ("title", "link", "description"):
        if not (channel.findtext(tag) or "").strip():
            problems.append(f"the channel has no {tag}")
    guids = set()
    for n, item in enumerate(channel.findall("item"), 1):
        if not (item.findtext("title") or item.findtext("description")):
            problems.append(f"item {n} has neither title nor description")
        guid = item.find("guid")
        if guid is not None:
            if guid.get("isPermaLink", "true") == "true" and not _is_iri(guid.text or ""):
                problems.append(f"item {n} guid {guid.text!r} is a permalink but not a URL")
            if guid.text in guids:
                problems.append(f"item {n} repeats the guid {guid.text!r}")
            guids.add(guid.text)
        date = item.findtext("pubDate")
        if date is not None:
            try:
                parsedate_to_datetime(date)
            except (TypeError, ValueError):
                problems.append(f"item {n} pubDate {date!r} is not an RFC 822 date")
    return problems


def assert_valid_feed(document: bytes, kind: str = "atom") -> None:
    """Fail with the list of problems when ``document`` is not a valid Atom (or RSS) feed."""
    problems = atom_problems(document) if kind == "atom" else rss_problems(document)
    if problems:
        raise FeedError("The feed breaks its specification:\n- " + "\n- ".join(problems))
