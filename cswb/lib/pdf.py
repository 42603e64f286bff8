"""Tagged, accessible PDF copies of portal pages (PDF/UA-1), written by WeasyPrint.

WeasyPrint lays out the same HTML and CSS the portal already writes and, with the ``pdf/ua-1``
variant, tags the structure (headings, lists, tables with their header cells, the document's
language and title), which screen readers need and ``pdfinfo`` reports as "Tagged: yes".

The renderer fetches nothing from the network: only the portal's own static files (by their
``STATIC_URL`` path) and ``data:`` URLs are read, so text typed by an applicant or by staff can
never make the server request another address. Anything else is left out of the PDF.

Use::

    from cswb.lib.pdf import render_pdf
    pdf_bytes = render_pdf("plan/report_pdf.html", {"report": report},
                           stylesheets=["css/print.css"])
"""

import logging
import mimetypes
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

# Page size, fonts and tables for every PDF; a document's own styles win over it.
BASE_STYLESHEET = "css/pdf.css"
# Any absolute address will do: relative links in the HTML resolve against it, and the fetcher
# below maps its static path back onto the files on disk.
BASE_URL = "https://portal.invalid/"


class PdfError(Exception):
    """The PDF could not be written; the message says why, for staff."""


def _static_file(path: str) -> Path | None:
    """Return the file behind a static path such as ``css/print.css``, or None."""
    found = finders.find(path)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / path
    return collected if collected.is_file() else None


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serve the portal's static files and ``data:`` URLs; refuse every other address."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            prefix = BASE_URL.rstrip("/") + settings.STATIC_URL
            if url.startswith(prefix):
                relative = url[len(prefix):].split("?", 1)[0].split("#", 1)[0]
                if ".." not in Path(relative).parts:
                    found = _static_file(relative)
                    if found is not None:
                        mime, _encoding = mimetypes.guess_type(found.name)
                        return URLFetcherResponse(
                            url, found.read_bytes(),
                            {"Content-Type": mime or "application/octet-stream"},
                        )
            raise ValueError(f"the PDF may only use the portal's own static files, not {url}")

    return StaticOnlyFetcher


def html_to_pdf(html: str, *, stylesheets: Sequence[str] = ()) -> bytes:
    """Return ``html`` as a tagged PDF/UA-1 document.

    ``stylesheets`` are static paths (``css/print.css``), applied after the base print style
    (``css/pdf.css``) as user stylesheets: the page's own ``<style>`` and ``<link>`` win over
    both. The
    HTML should carry ``<html lang>`` and a ``<title>``: both become the PDF's language and title.
    Raise PdfError when WeasyPrint or its system libraries fail.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the pango libraries are missing
        raise PdfError(f"WeasyPrint is not available: {exc}") from exc
    fetcher = _fetcher_class()(timeout=5)
    try:
        sheets = []
        for path in (BASE_STYLESHEET, *stylesheets):
            found = _static_file(path)
            if found is None:
                raise PdfError(f"The stylesheet {path} is not among the static files.")
            sheets.append(weasyprint.CSS(string=found.read_text(), url_fetcher=fetcher,
                                         base_url=BASE_URL))
        document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        return document.write_pdf(stylesheets=sheets, pdf_variant="pdf/ua-1")
    except PdfError:
        raise
    except Exception as exc:  # noqa: BLE001 - any layout or font failure is reported the same way
        log.exception("PDF rendering failed")
        raise PdfError(f"The PDF could not be written: {exc}") from exc


def render_pdf(template_name: str, context: dict, *, stylesheets: Sequence[str] = ()) -> bytes:
    """Render ``template_name`` with ``context`` and return it as a tagged PDF (see html_to_pdf)."""
    html = render_to_string(template_name, context)
    return html_to_pdf(html, stylesheets=stylesheets)
