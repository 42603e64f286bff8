"""A bounded HTTP load client for the benchmark, run as its own process.

Every loop stops after a fixed number of requests or a time cap, whichever comes first, and only
talks to 127.0.0.1. Threads each keep one ``http.client`` connection and reuse it while the server
allows (gunicorn's sync workers close after each response; the connection then reopens).

Modes (each prints one JSON object on stdout):

``get``     GET one path with C threads, N requests in all, at most T seconds.
``submit``  C residents each fetch the issue form, wait out its minimum fill time once, then post
            valid issues until N posts in all or T seconds; each post carries its own
            X-Forwarded-For address (the bench runs with TRUST_X_FORWARDED_FOR=true) so the
            per-address rate limit does not refuse them.
``admin``   Sign in to the admin (password and TOTP code) and time R sequential loads of each
            changelist path.
"""

import argparse
import contextlib
import http.client
import json
import re
import sys
import threading
import time
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

HOST = "127.0.0.1"
USER_AGENT = "cswb-bench/1"


def percentile(sorted_values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(pct / 100 * len(sorted_values) + 0.4999))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(latencies: list[float], errors: int, started: float, ended: float, statuses: dict,
              **extra) -> dict:
    latencies = sorted(latencies)
    elapsed = max(ended - started, 1e-9)
    ok = len(latencies)
    return {
        "requests": ok + errors,
        "ok": ok,
        "errors": errors,
        "seconds": round(elapsed, 3),
        "rps": round(ok / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        **extra,
    }


class Session:
    """One keep-alive connection with a cookie jar."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, dict, bytes]:
        head = {"Host": f"{HOST}:{self.port}", "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity"}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        head.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=head)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            # A connection the server closed under us: reopen once and try again.
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body, headers=head)
            response = self.conn.getresponse()
            data = response.read()
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.conn.close()
        return response.status, dict(response.getheaders()), data

    def close(self):
        self.conn.close()


class FormParser(HTMLParser):
    """Collect the fields of the first POST form that carries a CSRF token."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "selects": {},
                          "radios": {}, "checkboxes": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "radio":
                self._form["radios"].setdefault(name, []).append(attrs.get("value", ""))
            elif kind == "checkbox":
                self._form["checkboxes"].append(name)
            elif kind not in {"submit", "button", "file"}:
                self._form["fields"][name] = attrs.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self._form["selects"][name] = []
        elif tag == "option" and self._select:
            self._form["selects"][self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self._form["fields"][name] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data


def parse_form(html: str) -> dict | None:
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if "csrfmiddlewaretoken" in form["fields"]:
            return form
    return None


def issue_post_data(form: dict, n: int) -> dict:
    """Fill the issue form as a resident who wants a reply would (so a mail is queued)."""
    data = dict(form["fields"])
    for name, options in form["selects"].items():
        data[name] = next((o for o in options if o), "")
    for name, values in form["radios"].items():
        data[name] = values[0]
    data.update({
        "description": f"Benchmark issue {n}: speeding cars on the street by the school "
                       "every morning, since September.",
        "affected": "Children walking to school",
        "contact": "named",
        "name": f"Bench Resident {n}",
        "email": f"resident{n}@example.org",
        "phone": "",
        "consent_to_contact": "on",
        "website": "",
    })
    return data


# --- modes -----------------------------------------------------------------------------------

def run_get(args) -> dict:
    lock = threading.Lock()
    budget = [args.requests]
    latencies: list[float] = []
    statuses: dict = {}
    errors = [0]
    deadline = time.monotonic() + args.seconds

    def worker():
        session = Session(args.port, timeout=args.timeout)
        local_lat, local_status, local_err = [], {}, 0
        try:
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                t0 = time.perf_counter()
                try:
                    status, _h, _b = session.request("GET", args.path)
                except Exception:  # noqa: BLE001 - counted as an error, the run goes on
                    status = "exception"
                elapsed = time.perf_counter() - t0
                local_status[status] = local_status.get(status, 0) + 1
                if status == 200:
                    local_lat.append(elapsed)
                else:
                    local_err += 1
        finally:
            session.close()
            with lock:
                latencies.extend(local_lat)
                errors[0] += local_err
                for k, v in local_status.items():
                    statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ended = time.perf_counter()
    return summarize(latencies, errors[0], started, ended, statuses, engine="python",
                     concurrency=args.concurrency)


def run_submit(args) -> dict:
    lock = threading.Lock()
    budget = [args.requests]
    latencies: list[float] = []
    statuses: dict = {}
    errors = [0]
    notes: list[str] = []
    ready = threading.Barrier(args.concurrency + 1)
    go = threading.Event()
    deadline_box = [0.0]

    def worker(index: int):
        session = Session(args.port, timeout=args.timeout)
        local_lat, local_status, local_err = [], {}, 0
        form = None
        try:
            status, _h, body = session.request("GET", args.path)
            form = parse_form(body.decode("utf-8", "replace")) if status == 200 else None
            if form is None:
                with lock:
                    notes.append(f"GET {args.path} answered {status} without a form")
        except Exception as exc:  # noqa: BLE001
            with lock:
                notes.append(f"GET {args.path} failed: {exc}")
        with contextlib.suppress(threading.BrokenBarrierError):
            ready.wait(timeout=60)
        go.wait(timeout=120)
        n = 0
        try:
            while form is not None and time.monotonic() < deadline_box[0]:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                n += 1
                data = issue_post_data(form, index * 100000 + n)
                body = urlencode(data).encode()
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": f"http://{HOST}:{args.port}",
                    "Referer": f"http://{HOST}:{args.port}{args.path}",
                    "X-CSRFToken": session.cookies.get("csrftoken", ""),
                    # Loopback-range addresses, one per post, each under the rate limit.
                    "X-Forwarded-For": f"127.{100 + index}.{n // 250}.{1 + n % 250}",
                }
                t0 = time.perf_counter()
                try:
                    status, resp_headers, resp_body = session.request(
                        "POST", args.path, body=body, headers=headers)
                except Exception:  # noqa: BLE001
                    status, resp_headers, resp_body = "exception", {}, b""
                elapsed = time.perf_counter() - t0
                location = resp_headers.get("Location", "")
                ok = status in (302, 303) and args.success_re.search(location)
                local_status[status] = local_status.get(status, 0) + 1
                if ok:
                    local_lat.append(elapsed)
                else:
                    local_err += 1
                    if len(notes) < 5:
                        text = resp_body.decode("utf-8", "replace")
                        found = re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>\s*([^<]+)',
                                           text)
                        with lock:
                            notes.append(f"POST answered {status} {location!r} {found[:3]}")
        finally:
            session.close()
            with lock:
                latencies.extend(local_lat)
                errors[0] += local_err
                for k, v in local_status.items():
                    statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    for t in threads:
        t.start()
    try:
        ready.wait(timeout=60)
    except threading.BrokenBarrierError:
        notes.append("not every submitter got the form within 60 s")
    # Every submitter has its form; wait out the minimum fill time once for all of them.
    time.sleep(args.fill_seconds)
    deadline_box[0] = time.monotonic() + args.seconds
    started = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    ended = time.perf_counter()
    extra = {"latencies_ms": [round(x * 1000, 2) for x in latencies]} if args.raw else {}
    return summarize(latencies, errors[0], started, ended, statuses, engine="python",
                     concurrency=args.concurrency, notes=notes[:5], **extra)


def run_admin(args) -> dict:
    from django_otp.oath import totp

    session = Session(args.port, timeout=args.timeout)
    result: dict = {"pages": {}, "notes": []}
    login = "/staff/sign-in/"
    status, _h, body = session.request("GET", login)
    form = parse_form(body.decode("utf-8", "replace")) if status == 200 else None
    if form is None:
        result["notes"].append(f"GET {login} answered {status} without a form")
        return result
    origin = {"Origin": f"http://{HOST}:{args.port}",
              "Content-Type": "application/x-www-form-urlencoded"}
    data = dict(form["fields"], username=args.username, password=args.password)
    status, headers, _b = session.request("POST", login, urlencode(data).encode(), origin)
    location = headers.get("Location", "")
    if "code" in location or "verify" in location:
        path = urlsplit(location).path + ("?" + urlsplit(location).query
                                          if urlsplit(location).query else "")
        status, _h, body = session.request("GET", path)
        form = parse_form(body.decode("utf-8", "replace"))
        if form is None:
            result["notes"].append(f"GET {path} answered {status} without a form")
            return result
        code = f"{totp(bytes.fromhex(args.totp_key), step=30, t0=0, digits=6):06d}"
        data = dict(form["fields"], code=code)
        status, headers, _b = session.request("POST", path, urlencode(data).encode(), origin)
        location = headers.get("Location", "")
    if status not in (302, 303) or "sign-in" in location:
        result["notes"].append(f"sign-in failed: {status} {location!r}")
        return result
    for path in args.paths:
        timings, bad = [], {}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            status, _h, body = session.request("GET", path)
            elapsed = time.perf_counter() - t0
            if status == 200:
                timings.append(elapsed)
            else:
                bad[str(status)] = bad.get(str(status), 0) + 1
        # The first load warms the caches (templates, permissions); judge the rest.
        timings = sorted(timings[1:] or timings)
        rows = re.search(rb'class="paginator"[^>]*>.*?(\d[\d,]*)\s', body, re.S)
        result["pages"][path] = {
            "median_ms": round(percentile(timings, 50) * 1000, 1),
            "min_ms": round((timings[0] if timings else 0) * 1000, 1),
            "errors": bad,
            "rows_shown": rows.group(1).decode() if rows else "",
            "bytes": len(body),
        }
    session.close()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["get", "submit", "admin"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/livez")
    parser.add_argument("--paths", nargs="*", default=[])
    parser.add_argument("--requests", type=int, default=1000, help="total requests at most")
    parser.add_argument("--seconds", type=float, default=10, help="time cap of the run")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--fill-seconds", type=float, default=3.5)
    parser.add_argument("--success", default=r"/issues/received/")
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--totp-key", default="")
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--raw", action="store_true", help="also print every latency")
    args = parser.parse_args(argv)
    args.requests = min(args.requests, 200_000)
    args.seconds = min(args.seconds, 120)
    args.success_re = re.compile(args.success)
    runner = {"get": run_get, "submit": run_submit, "admin": run_admin}[args.mode]
    json.dump(runner(args), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
