import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cswb.lib import pdf
from cswb.testing.pdf import pdf_objects, pdfinfo, pdftext

PAGE = """<!doctype html><html lang="en-CA"><head><meta charset="utf-8">
<title>Yearly progress report 2024</title>
<link rel="stylesheet" href="/static/css/site.css"></head>
<body><h1>Yearly progress report</h1><p>Résumé of the year.</p>
<table><caption>Figures</caption><thead><tr><th scope="col">Year</th><th scope="col">Value</th>
</tr></thead><tbody><tr><td>2024</td><td>8.2%</td></tr></tbody></table>{extra}</body></html>"""


def test_it_writes_a_tagged_pdf_with_the_title_and_language():
    data = pdf.html_to_pdf(PAGE.format(extra=""))

    info = pdfinfo(data)
    assert data.startswith(b"%PDF-1.7")
    assert info["Tagged"] == "yes"
    assert info["Title"] == "Yearly progress report 2024"
    assert info["Page size"].startswith("612 x 792")  # letter, the Canadian paper size
    objects = pdf_objects(data)
    assert b"/Lang (en-CA)" in objects
    assert b"/StructTreeRoot" in objects
    assert "Résumé of the year." in pdftext(data)


class _Recorder(BaseHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_it_never_requests_another_address():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        extra = f'<img src="{url}/tracker.png" alt=""><link rel="stylesheet" href="{url}/x.css">'
        data = pdf.html_to_pdf(PAGE.format(extra=extra))
    finally:
        server.shutdown()
        server.server_close()

    assert data.startswith(b"%PDF")
    assert _Recorder.hits == []


def test_it_refuses_a_stylesheet_that_is_not_a_static_file():
    with pytest.raises(pdf.PdfError, match="css/nowhere.css"):
        pdf.html_to_pdf(PAGE.format(extra=""), stylesheets=["css/nowhere.css"])
