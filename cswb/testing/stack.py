"""The production processes (gunicorn, a Celery worker, beat) in subprocesses of the test.

Tests that fault Redis drive the portal as residents and staff would, over HTTP, against a Redis
server of the test's own (``cswb.testing.redis``): nothing in the web process is patched, so what
they see is what a deployment sees. The processes share the test's database: PostgreSQL's test
database as it is, or, on SQLite (whose test database lives in memory), a copy in a file.

``Client`` is a small HTTP client with a cookie jar that does not follow redirects, so that a test
can look at each answer (a 302 after a saved form, the page it leads to).
"""

import http.cookiejar
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

from cswb.testing.redis import free_port
from cswb.testing.worker import BASE_DIR, database_url


def shared_database_url(connection, folder: Path) -> str:
    """Return a DATABASE_URL other processes can open with the test's data in it.

    PostgreSQL: the test database itself (the test must use ``transactional_db``). SQLite: a copy
    of the in-memory test database in ``folder``, made now; rows the test writes later, or the
    processes write, are not shared (read them with ``Rows``).
    """
    if connection.vendor == "postgresql":
        return database_url(connection.settings_dict)
    connection.ensure_connection()
    path = folder / "stack.sqlite3"
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{path}"


class Rows:
    """Read rows the processes wrote, with plain SQL, from whichever database they share."""

    def __init__(self, connection, url: str):
        self.connection = connection
        self.path = url.removeprefix("sqlite:///") if url.startswith("sqlite:") else None

    def all(self, sql: str, params=()) -> list[tuple]:
        if self.path is None:
            with self.connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall()
        with sqlite3.connect(self.path, timeout=20) as db:
            return db.execute(sql, params).fetchall()


class Stack:
    """Start gunicorn, a worker and beat with ``env`` on top of the environment; stop them all.

    Every process runs in its own process group, so stopping one stops its children (gunicorn's
    and Celery's pool processes) and nothing else on the machine.
    """

    def __init__(self, folder: Path, env: dict, *, web_workers: int = 2):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.web_workers = web_workers
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cswb.settings",
            "CSWB_VAR_DIR": str(folder),
            "SITE_URL": self.url,
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}
        self.journal: list = []

    def client(self) -> "Client":
        """Return a new visitor whose requests go into ``journal``."""
        return Client(self.url, journal=self.journal)

    def access_log(self) -> list[tuple[str, int]]:
        """Return (request line, status) of every request gunicorn logged."""
        found = re.findall(rb'\] "([^"]*)" (\d{3}) ', self.log_bytes("web"))
        return [(line.decode(errors="replace"), int(status)) for line, status in found]

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            args, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout: float = 90) -> "Stack":
        bin_dir = Path(sys.executable).parent
        self._spawn("web", [
            str(bin_dir / "gunicorn"), "cswb.wsgi", "-c", "cswb/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.web_workers),
        ])
        self._spawn("worker", [
            sys.executable, "-m", "celery", "-A", "cswb", "worker", "--loglevel", "INFO",
            "--concurrency", "1", "--without-gossip", "--without-mingle",
            "-n", f"stack-{self.port}@localhost",
        ])
        self._spawn("beat", [
            sys.executable, "-m", "celery", "-A", "cswb", "beat", "--loglevel", "INFO",
            "--schedule", str(self.folder / "beat-schedule"),
        ])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if (
                b" ready." in self.log_bytes("worker")
                and b"beat: Starting" in self.log_bytes("beat")
                and Client(self.url).get("/healthz").status == 200
            ):
                return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"The stack did not start within {timeout} s:\n{self.logs()}")

    def log_bytes(self, name: str) -> bytes:
        path = self.folder / f"{name}.log"
        return path.read_bytes() if path.exists() else b""

    def logs(self, tail: int = 4000) -> str:
        return "\n".join(
            f"--- {name} ---\n{self.log_bytes(name).decode(errors='replace')[-tail:]}"
            for name in self.processes
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.logs()}")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)


class Answer:
    def __init__(self, status: int, headers, body: bytes, seconds: float):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")
        self.seconds = seconds

    def __repr__(self):
        return f"<Answer {self.status} in {self.seconds:.2f} s>"

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def field(self, name: str) -> str:
        """Return the value of the form field ``name`` in the page (a hidden input's)."""
        match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', self.text) or re.search(
            rf'value="([^"]*)" name="{re.escape(name)}"', self.text
        )
        if match is None:
            raise AssertionError(f"No field {name!r} in the page:\n{self.text[:2000]}")
        return match.group(1)


class _FormFields(HTMLParser):
    """The fields of a page's first POST form (or the one with ``form_id``) as a browser would
    send them, in order."""

    def __init__(self, form_id: str | None = None):
        super().__init__()
        self.form_id = form_id
        self.fields: list[tuple[str, str]] = []
        self._forms = 0
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post" and (
            self.form_id is None or attrs.get("id") == self.form_id
        ):
            self._forms += 1
        if self._forms != 1:
            return
        name = attrs.get("name")
        if tag == "input" and name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value", "on")))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                self.fields.append((name, attrs.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = (name, "multiple" in attrs), []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag):
        if tag == "form" and self._forms == 1:
            self._forms = 2
        elif tag == "select" and self._select:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text += data


def form_fields(html: str, form_id: str | None = None) -> list[tuple[str, str]]:
    """Return the (name, value) pairs the page's first POST form (or the one with ``form_id``)
    would send as it stands."""
    parser = _FormFields(form_id)
    parser.feed(html)
    return parser.fields


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One visitor: a cookie jar, no redirects followed, every answer returned (also 4xx/5xx)."""

    def __init__(self, base_url: str, timeout: float = 60, journal: list | None = None):
        self.base_url = base_url
        self.timeout = timeout
        # (method, path, answer) of every request, when the test wants to look at them all.
        self.journal = journal
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")

    def request(self, method: str, path: str, data: dict | list | None = None) -> Answer:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        url = self.base_url + path  # the stack's own http://127.0.0.1 address, nothing else
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
        if body is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
            request.add_header("Origin", self.base_url)
            request.add_header("Referer", self.base_url + path)
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:  # noqa: S310
                status, headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, content = exc.code, exc.headers, exc.read()
        answer = Answer(status, headers, content, time.monotonic() - started)
        if self.journal is not None:
            self.journal.append((method, path, answer))
        return answer

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, data: dict) -> Answer:
        """POST ``data`` with the CSRF token from the cookie jar (fetch a form page first)."""
        return self.request("POST", path, {"csrfmiddlewaretoken": self.cookie("csrftoken"), **data})
