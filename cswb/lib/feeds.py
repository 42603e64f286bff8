"""The portal's news feeds: Atom 1.0 as RFC 4287 asks, RSS 2.0 beside it, a page for browsers.

``PortalFeed`` gives every feed what RFC 4287 requires and Django leaves to us: ``tag:`` ids
(IRIs that stay the same when a page moves), an author, and entry text sent as escaped HTML,
so that "<Region>" typed in an update reaches the reader as text. ``feed_view`` serves it: a
browser that opens the feed's address gets an HTML page listing the entries and explaining how
to follow them (browsers show raw XML, and are dropping XSLT), every feed reader gets the feed.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from cswb.lib.pagecache import public_page

# The year the portal's name authority (the host of SITE_URL) first issued feed ids.
TAG_YEAR = 2025


def tag_uri(specific: str) -> str:
    """Return a ``tag:`` URI (RFC 4151) for ``specific``, e.g. ``tag:halton.ca,2025:x/1``."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    if not re.search(r"[a-z]", host):  # an IP address (a laptop) is no name authority
        host = "localhost"
    return f"tag:{host},{TAG_YEAR}:{specific}"


def html_text(*paragraphs: str, items: list[str] = ()) -> SafeString:
    """Return plain text as escaped HTML paragraphs, then ``items`` as an escaped list."""
    parts = [linebreaks(p, autoescape=True) for p in paragraphs if p]
    if items:
        parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
    return SafeString("\n".join(parts))


class _SiteRequest:
    """The request as the feed framework sees it: host and scheme from ``SITE_URL``.

    Feeds are cached and shared (``public_page``), so their absolute links must not depend on
    whoever asked first, over plain HTTP behind a proxy or under another allowed host name.
    """

    def __init__(self, request):
        self._request = request
        self._site = urlsplit(settings.SITE_URL)

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self):
        return self._site.netloc

    def is_secure(self):
        return self._site.scheme == "https"


class PortalFeed(Feed):
    """An Atom feed (``.rss()`` for its RSS twin) whose ids, author and text are correct.

    Subclasses return ``item_description`` built with ``html_text`` and name their feed and
    entries: the feed's id is ``tag:<host>,2025:<feed_name>`` (``…/<pk>`` for a feed about one
    object) and each entry's ``tag:<host>,2025:<entry_name>/<pk>``.
    """

    feed_type = Atom1Feed
    feed_name = ""
    entry_name = ""
    item_guid_is_permalink = False

    def get_feed(self, obj, request):
        # Every absolute link in the feed from SITE_URL, never from the request (see above).
        return super().get_feed(obj, _SiteRequest(request))

    def author_name(self):
        return _("Community Safety and Well-Being team, Halton Region")

    def author_email(self):
        return "cswb@halton.ca"

    def author_link(self):
        return settings.SITE_URL

    def feed_guid(self, obj=None):
        # Django would use the page's address, which may move; an id must not.
        return tag_uri(self.feed_name if obj is None else f"{self.feed_name}/{obj.pk}")

    def item_guid(self, item):
        return tag_uri(f"{self.entry_name}/{item.pk}")

    @classmethod
    def rss(cls):
        """Return an instance of this feed that writes RSS 2.0."""
        return type(f"{cls.__name__}Rss", (cls,), {"feed_type": Rss201rev2Feed})()

    def html_page(self, request, *args, **kwargs):
        """Render the feed as a web page, for a person who opened its address in a browser."""
        obj = self.get_object(request, *args, **kwargs)
        feed = self.get_feed(obj, request)
        return render(
            request,
            "feeds/page.html",
            {
                "feed": feed.feed,
                "entries": feed.items,
                "feed_url": request.build_absolute_uri(),
                "feed_type": feed.content_type.split(";")[0],
            },
        )


def browser_navigation(request) -> bool:
    """Whether a person opened the address in a browser tab (not a reader or a script).

    Browsers send ``Sec-Fetch-Dest: document`` for a page they will show; programs do not.
    """
    return request.headers.get("Sec-Fetch-Dest") == "document"


def feed_view(feed: PortalFeed):
    """Serve ``feed`` from the page cache to feed readers, and as a web page to browsers."""
    cached = public_page(feed)

    def view(request, *args, **kwargs):
        if browser_navigation(request):
            response = feed.html_page(request, *args, **kwargs)
        else:
            response = cached(request, *args, **kwargs)
        patch_vary_headers(response, ["Sec-Fetch-Dest"])
        return response

    return view
