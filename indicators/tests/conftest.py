import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indicators.models import Geography
from indicators.reference import load_domains, load_geographies


@pytest.fixture
def geographies(db):
    """The six reference geographies, by slug."""
    load_geographies()
    return {g.slug: g for g in Geography.objects.all()}


@pytest.fixture
def domains(db):
    from indicators.models import Domain

    load_domains()
    return {d.slug: d for d in Domain.objects.all()}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server API
        route = self.server.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        status, body, delay = route
        if delay:
            self.server.stop_waiting.wait(delay)
        self.send_response(status)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FileServer:
    """A local HTTP server in a thread: ``serve(path, body)`` then fetch ``url(path)``."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes = {}
        self.httpd.stop_waiting = threading.Event()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path, body: bytes, status=200, delay=0.0):
        self.httpd.routes[path] = (status, body, delay)
        return self.url(path)

    def url(self, path):
        host, port = self.httpd.server_address
        return f"http://{host}:{port}{path}"

    def stop(self):
        self.httpd.stop_waiting.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.stop()


@pytest.fixture
def wds(settings):
    """A local stand-in for Statistics Canada's Web Data Service; STATCAN_WDS_URL points at it."""
    from indicators.tests.wds import FakeWds

    server = FakeWds()
    settings.STATCAN_WDS_URL = server.url
    settings.STATCAN_WDS_REQUESTS_PER_SECOND = 20
    yield server
    server.stop()
