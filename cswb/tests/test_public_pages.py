"""The whole-site check: every public page, at a desktop and a phone width, with axe (WCAG 2.2
A/AA) and the checks axe cannot make (focus and border contrast, reflow, scrolling regions)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from cswb.testing.browser import check_pages
from cswb.tests.public_pages import NOT_PAGES, PAGES, build_site, page_urls


def route_names(patterns=None, namespace="") -> set[str]:
    """Return the name of every route outside the admin, with its namespace."""
    names = set()
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= route_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def test_every_public_route_is_checked_or_has_a_reason_not_to_be():
    listed = {name for name, _ in PAGES} | set(NOT_PAGES)
    missing = sorted(route_names() - listed)
    assert not missing, (
        f"Public routes without an entry in cswb/tests/public_pages.py: {missing}. Add each to "
        "PAGES (how to build its URL) so the site-wide accessibility check opens it, or to "
        "NOT_PAGES with the reason it is not a page."
    )
    assert not sorted(set(NOT_PAGES) - route_names()), "NOT_PAGES names a route that is gone"


@pytest.mark.browser
def test_every_public_page_passes_at_desktop_and_phone_widths(browser, live_server):
    urls = []
    for name, url in page_urls(build_site()):
        if name:
            assert resolve(url.split("?")[0]).view_name == name, url
        urls.append(url)
    check_pages(browser, live_server.url, urls)
