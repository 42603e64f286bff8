"""Benchmark the whole portal on this machine: `make bench` (or `.venv/bin/python bench/run.py`).

It builds a fresh PostgreSQL database, starts the production stack (gunicorn with DEBUG off, a
Celery worker and beat, Redis, a local SMTP sink), loads a large dataset, drives load from separate
processes on 127.0.0.1 only, prints one table and stops everything it started, also on failure.
See PERFORMANCE.md for what each figure means and depends on.

Environment knobs (all optional): BENCH_PORT, BENCH_DB (cswb_bench), BENCH_PG
(postgres://postgres@127.0.0.1:5432), BENCH_REDIS (unset: a redis-server of the bench's own on a
free port, which the outage run stops; set, e.g. redis://127.0.0.1:6379: that server's databases
12 and 13, and no outage run), BENCH_WEB_WORKERS (3, as the Procfile), BENCH_WORKER_CONCURRENCY
(2), BENCH_ENGINE (wrk when installed, else python), BENCH_SECONDS (5: time cap per page),
BENCH_REQUESTS (50000: request cap per page), BENCH_KEEP=1 (keep the database and the logs
afterwards), BENCH_OUT (also write the table there), BENCH_PARTS
(admin,work,pages,mail,submit,outage: which measurements to run; the data always loads).
"""

import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
sys.path.insert(0, str(BASE_DIR))
PY = sys.executable
START = time.monotonic()

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_DB", "cswb_bench")
# Unset: the bench starts a Redis of its own (``main``), which it may stop.
REDIS = os.environ.get("BENCH_REDIS", "").rstrip("/")
OWN_REDIS = not REDIS
BROKER_DB, CACHE_DB = 12, 13
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "3"))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))
PAGE_SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
PAGE_REQUESTS = int(os.environ.get("BENCH_REQUESTS", "50000"))
CONNECTIONS = 8
SUBMITTERS = 16
SUBMIT_SECONDS = 6
SUBMIT_ROUNDS = 2
SUBMIT_REQUESTS = 1500
MAIL_COUNT = 500
MAIL_DELAY = 2.0
TOTAL_BUDGET = 9 * 60  # seconds: stop measuring and report what we have past this
PARTS = {part.strip() for part in os.environ.get(
    "BENCH_PARTS", "admin,work,pages,mail,submit,outage").split(",") if part.strip()}
# The outage run: mail queued while Redis is stopped, and how long after it is back the last of it
# is delivered (target: under two minutes, with beat's sweep).
OUTAGE_MAIL = 200
OUTAGE_RECOVERY_TARGET = 120
OUTAGE_PAGE_TARGET = 0.20


class BenchError(Exception):
    """A problem the person running the bench has to fix; printed without a traceback."""


def log(text: str) -> None:
    print(f"[{time.monotonic() - START:6.1f}s] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- processes --------------------------------------------------------------------------------

class Processes:
    """Children started in their own process groups, all stopped by ``stop_all``."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, cmd: list[str], env: dict,
              stop_signal: int = signal.SIGTERM) -> subprocess.Popen:
        log_file = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        proc.stop_signal = stop_signal
        self.children.append((name, proc))
        return proc

    def check_alive(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise BenchError(f"{name} stopped with exit code {proc.returncode}; see "
                                 f"{self.log_dir / (name + '.log')}")

    def stop_all(self) -> None:
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGCONT)  # in case it was paused
                    os.killpg(proc.pid, proc.stop_signal)
        deadline = time.monotonic() + 15
        for _name, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.children.clear()


def run(cmd: list[str], env: dict, *, what: str, timeout: float = 300) -> str:
    """Run a command to completion; return its stdout, or raise with its output on failure."""
    try:
        done = subprocess.run(cmd, cwd=BASE_DIR, env=env, capture_output=True, text=True,
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{what} took longer than {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-25:]
        raise BenchError(f"{what} failed (exit {done.returncode}):\n    " + "\n    ".join(tail))
    return done.stdout


def django(args: list[str], env: dict, *, what: str, timeout: float = 300) -> dict:
    """Run ``bench/django_tasks.py`` with ``args``; return the JSON object it prints last."""
    out = run([PY, str(BENCH_DIR / "django_tasks.py"), *args], env, what=what, timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"{what} printed no result:\n{out[-2000:]}")
    return json.loads(lines[-1])


# --- services ---------------------------------------------------------------------------------

def preflight() -> None:
    missing = []
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing.append("aiosmtpd is not installed: run `make .venv/.dev-installed` "
                       "(or .venv/bin/pip install -r requirements-dev.txt)")
    try:
        import psycopg
    except ImportError:
        missing.append("psycopg is not installed: run .venv/bin/pip install -r requirements.txt")
    else:
        try:
            psycopg.connect(f"{PG}/postgres", connect_timeout=3).close()
        except psycopg.Error as exc:
            missing.append(f"PostgreSQL does not answer at {PG} ({str(exc).strip()}): start it, "
                           "e.g. `pg_ctlcluster $(ls /etc/postgresql) main start`")
    try:
        import redis
        if OWN_REDIS:
            if not shutil.which("redis-server"):
                raise RuntimeError("redis-server is not installed (apt-get install redis-server), "
                                   "or set BENCH_REDIS to a running server")
        else:
            redis.Redis.from_url(f"{REDIS}/{BROKER_DB}", socket_connect_timeout=3).ping()
    except ImportError:
        missing.append("the redis client is not installed: .venv/bin/pip install -r "
                       "requirements.txt")
    except RuntimeError as exc:
        missing.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - any failure: say what and how to fix it
        missing.append(f"Redis does not answer at {REDIS} ({exc}): start it, e.g. "
                       "`redis-server --daemonize yes --bind 127.0.0.1 --save ''`")
    if not (BASE_DIR / ".venv" / "bin" / "gunicorn").exists() and not shutil.which("gunicorn"):
        missing.append("gunicorn is not installed: .venv/bin/pip install -r requirements.txt")
    if missing:
        raise BenchError("cannot start the benchmark:\n  - " + "\n  - ".join(missing))


def database_reset(drop_only: bool = False) -> None:
    import psycopg

    if not DB_NAME.startswith("cswb_bench") or not DB_NAME.replace("_", "").isalnum():
        # The bench drops this database: never let a typo point it at real data.
        raise BenchError(f"BENCH_DB={DB_NAME!r}: the bench only uses databases named "
                         "cswb_bench...")

    with psycopg.connect(f"{PG}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def redis_flush() -> None:
    import redis

    if OWN_REDIS:
        return  # a fresh server, stopped at the end
    for db in (BROKER_DB, CACHE_DB):
        redis.Redis.from_url(f"{REDIS}/{db}").flushdb()


class Sink:
    """The local SMTP server: counts accepted mail, and can take MAIL_DELAY s per message."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from cswb.testing.smtp import SinkHandler

        class TimedHandler(SinkHandler):
            def __init__(self):
                super().__init__()
                self.count = 0

            async def handle_DATA(self, server, session, envelope):
                reply = await super().handle_DATA(server, session, envelope)
                if reply.startswith("250"):
                    with self._lock:
                        self.count += 1
                        # Keep memory flat over thousands of messages: only the count matters.
                        self.messages.clear()
                return reply

        self.handler = TimedHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def count(self) -> int:
        return self.handler.count

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        # Already stopped: nothing left to do.
        with contextlib.suppress(Exception):
            self.controller.stop()


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def page_probe(port: int, path: str) -> dict:
    """GET ``path`` once without following redirects; return what shows whether it is cached."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - t0
        etag = response.getheader("ETag")
        revalidated = None
        if etag:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers={"If-None-Match": etag})
            again = conn.getresponse()
            again.read()
            revalidated = again.status
        return {"status": response.status, "bytes": len(body), "ms": round(elapsed * 1000, 1),
                "etag": bool(etag), "if_none_match": revalidated,
                "set_cookie": bool(response.getheader("Set-Cookie")),
                "location": response.getheader("Location") or ""}
    except (OSError, http.client.HTTPException) as exc:
        return {"status": 0, "bytes": 0, "ms": 0, "etag": False, "if_none_match": None,
                "set_cookie": False, "location": str(exc)}
    finally:
        conn.close()


def wait_until(check, *, timeout: float, what: str, procs: Processes | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if procs:
            procs.check_alive()
        time.sleep(0.25)
    raise BenchError(f"{what} not ready after {timeout:.0f} s")


# --- load -------------------------------------------------------------------------------------

WRK_LUA = BENCH_DIR / "wrk_report.lua"


def engine() -> str:
    wanted = os.environ.get("BENCH_ENGINE", "").lower()
    if wanted == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if wanted == "wrk":
        raise BenchError("BENCH_ENGINE=wrk but wrk is not installed: apt-get install wrk")
    return "python"


def load_get(port: int, path: str, *, requests: int = PAGE_REQUESTS,
             seconds: float = PAGE_SECONDS) -> dict:
    """Load one path from a separate process: wrk when installed, else bench/loadclient.py."""
    if engine() == "wrk":
        # wrk is bounded by -d only (see wrk_report.lua); the count is reported when passed.
        threads = 2
        per_thread = max(requests // threads, 1)
        cmd = ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{seconds:.0f}s",
               "--timeout", "10s", "-s", str(WRK_LUA), f"http://127.0.0.1:{port}{path}",
               "--", str(per_thread)]
        out = run(cmd, os.environ.copy(), what=f"wrk {path}", timeout=seconds + 30)
        line = next((x for x in out.splitlines() if x.startswith("{")), None)
        if line is None:
            raise BenchError(f"wrk printed no result for {path}:\n{out}")
        raw = json.loads(line)
        seconds_run = max(raw["span_us"] / 1e6, 1e-9)
        # wrk counts only 4xx/5xx as status errors; the script counts every answer but 200.
        errors = sum(v for k, v in raw["errors"].items() if k != "status") + raw["not200"]
        ok = max(raw["requests"] - raw["not200"], 0)
        return {"requests": raw["requests"], "ok": ok, "errors": errors,
                "seconds": round(seconds_run, 3), "rps": round(ok / seconds_run, 1),
                "p50_ms": raw["p50_us"] / 1000, "p95_ms": raw["p95_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000, "engine": "wrk", "concurrency": CONNECTIONS,
                "over_count": bool(raw["capped_threads"])}
    return client(["get", "--port", str(port), "--path", path, "--requests", str(requests),
                   "--seconds", str(seconds), "--concurrency", str(CONNECTIONS)],
                  timeout=seconds + 60)


class ServerCpu:
    """CPU time used by the web processes (gunicorn's process group) and by their PostgreSQL
    backends (connections to the bench database), read from /proc.

    Another process on a shared machine changes how many requests per second a page gets from
    one second to the next, but hardly how much CPU each request costs; the bench reports both.
    """

    def __init__(self, pgid: int):
        self.pgid = pgid
        self.tick = os.sysconf("SC_CLK_TCK")
        # Client backends only ("postgres: 15/main: postgres cswb_bench 127.0.0.1(53412) idle"),
        # not autovacuum working on the same database.
        self.marker = f" {DB_NAME} 127.0.0.1(".encode()

    def seconds(self) -> float:
        ticks = 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    stat = fh.read()
                fields = stat[stat.rindex(b")") + 2:].split()
                mine = int(fields[2]) == self.pgid
                if not mine and b"postgres" in stat[:stat.rindex(b")")]:
                    with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                        mine = self.marker in fh.read().replace(b"\0", b" ")
                if mine:
                    ticks += int(fields[11]) + int(fields[12])
            except (OSError, ValueError, IndexError):
                continue
        return ticks / self.tick


def measured_get(port: int, path: str, cpu: ServerCpu | None) -> dict:
    """``load_get`` plus the server CPU milliseconds each request cost."""
    before = cpu.seconds() if cpu else 0.0
    result = load_get(port, path)
    if cpu and result.get("requests"):
        result["cpu_ms"] = round((cpu.seconds() - before) * 1000 / result["requests"], 2)
    return result


def client(args: list[str], *, timeout: float) -> dict:
    out = run([PY, str(BENCH_DIR / "loadclient.py"), *args], os.environ.copy(),
              what=f"load client {args[0]}", timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def wait_for_mail(sink: Sink, target: int, timeout: float) -> float | None:
    """Wait until the sink holds ``target`` messages; return when (time.time()), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sink.count >= target:
            return time.time()
        time.sleep(0.02)
    return None


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of sorted values (0 when empty)."""
    if not values:
        return 0.0
    rank = max(1, round(pct / 100 * len(values) + 0.4999))
    return values[min(rank, len(values)) - 1]


def wait_quiet(sink: Sink, *, idle: float, timeout: float) -> None:
    """Wait until the sink has received nothing for ``idle`` seconds (at most ``timeout``)."""
    deadline = time.monotonic() + timeout
    last, since = sink.count, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if sink.count != last:
            last, since = sink.count, time.monotonic()
        elif time.monotonic() - since >= idle:
            return


def outbox_counts() -> dict:
    """Return the bench database's outgoing messages by state."""
    import psycopg

    with psycopg.connect(f"{PG}/{DB_NAME}", connect_timeout=5) as conn:
        rows = conn.execute("SELECT state, COUNT(*) FROM outbox_message GROUP BY state")
        return dict(rows.fetchall())


def measure_outage(redis_server, port: int, full: dict, cpu: ServerCpu, sink: Sink, env: dict,
                   *, submit_path: str | None, min_fill: float) -> dict:
    """Stop the bench's Redis: load the warm public pages against /livez, post issues and queue
    mail; start it again and time the delivery of every message queued meanwhile."""
    base = f"http://127.0.0.1:{port}"
    out: dict = {"pages": [], "livez": []}
    wait_quiet(sink, idle=1.5, timeout=60)
    mail_before = sink.count
    redis_server.stop()
    log("outage: Redis stopped")
    probes = []
    for _ in range(5):
        t0 = time.perf_counter()
        probes.append((http_status(f"{base}/healthz", timeout=5),
                       round((time.perf_counter() - t0) * 1000, 1)))
        time.sleep(0.2)
    out["healthz"] = {"statuses": sorted({status for status, _ms in probes}),
                      "ms": sorted(ms for _status, ms in probes)}
    for _name, path, _target in [("livez", "/livez", None), *full["pages"]]:
        for _ in range(3 * WEB_WORKERS):  # every web process makes its own copy
            http_status(f"{base}{path}", timeout=60)
    # /livez before, between and after the pages: the ratio is to their median.
    pages = list(full["pages"])
    middle = len(pages) // 2
    livez = ("livez", "/livez", None)
    for name, path, _target in [livez, *pages[:middle], livez, *pages[middle:], livez]:
        r = measured_get(port, path, cpu)
        if path == "/livez":
            out["livez"].append(r)
        else:
            out["pages"].append({"name": name, "path": path, "result": r})
        log(f"outage {path}: {r['rps']} req/s p95 {r['p95_ms']} ms errors {r['errors']}")
    if submit_path:
        r = client(["submit", "--port", str(port), "--path", submit_path, "--concurrency",
                    str(SUBMITTERS), "--requests", str(SUBMIT_REQUESTS), "--seconds", "4",
                    "--fill-seconds", str(min_fill + 0.5)], timeout=120)
        out["submit"] = r
        log(f"outage submit: {r['ok']} posts, {r['rps']}/s, p95 {r['p95_ms']} ms, "
            f"errors {r['errors']}")
    queued = django(["mail", str(OUTAGE_MAIL)], env, what="queue outbox mail during the outage")
    out["queued_seconds"] = queued["seconds"]
    counts = outbox_counts()
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    out["waiting"] = waiting
    out["delivered_during"] = sink.count - mail_before
    log(f"outage: {waiting} messages waiting ({counts}); starting Redis again")
    redis_server.start()
    back = time.time()
    target = mail_before + out["delivered_during"] + waiting
    done_at = wait_for_mail(sink, target, timeout=300)
    out["recovery_seconds"] = round(done_at - back, 1) if done_at else None
    # A few more sweeps: nothing may be sent twice.
    time.sleep(5)
    out["delivered_after"] = sink.count - mail_before - out["delivered_during"]
    out["left"] = {k: v for k, v in outbox_counts().items() if k != "sent"}
    log(f"outage: Redis back; {out['delivered_after']} of {waiting} delivered, the last after "
        f"{out['recovery_seconds']} s; not sent: {out['left']}")
    return out


# --- report -----------------------------------------------------------------------------------

def hardware() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem} memory, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def etag_cell(probe: dict) -> str:
    if not probe.get("etag"):
        return "no"
    return f"yes/{probe.get('if_none_match')}"


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "NOT met", None: "n/a"}[ok]


def table(results: dict) -> str:
    lines = []
    add = lines.append
    add(f"CSWB Portal benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    add(f"Machine: {hardware()}")
    add(f"Stack: gunicorn {WEB_WORKERS} sync workers (DEBUG off), Celery worker concurrency "
        f"{WORKER_CONCURRENCY}, PostgreSQL, Redis; load engine: {results.get('engine', '?')}, "
        f"{CONNECTIONS} connections, at most {PAGE_REQUESTS} requests or {PAGE_SECONDS:.0f} s "
        "per page")
    data = results.get("dataset", {})
    if data:
        add("Dataset: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                    for k, v in data.get("counts", {}).items()))
        for note in data.get("notes", []):
            add(f"  note: {note}")
    add("")
    base = results.get("livez_rps") or 0
    base_cpu = results.get("livez_cpu_ms") or 0
    header = (f"{'page':<28} {'path':<30} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'p99 ms':>7} {'errors':>6} {'CPU ms':>7} {'wall':>5} {'CPU':>5} "
              f"{'target':>6} {'result':>7} {'KiB':>4} {'ETag/304':>8}")
    add(header)
    add("-" * len(header))
    for row in results.get("pages", []):
        r = row["result"]
        probe = r.get("probe", {})
        reference = r.get("livez_rps") or base
        wall = r["rps"] / reference if reference and r.get("rps") else 0
        cpu = base_cpu / r["cpu_ms"] if base_cpu and r.get("cpu_ms") else 0
        target = row.get("target")
        ok = None if target is None or not cpu else cpu >= target
        if r.get("errors") and target is not None:
            ok = False
        cpu_ms = f"{r['cpu_ms']:.2f}" if r.get("cpu_ms") is not None else "?"
        add(f"{row['name'][:28]:<28} {row['path'][:30]:<30} {r.get('rps', 0):>7.1f} "
            f"{r.get('p50_ms', 0):>7.1f} {r.get('p95_ms', 0):>7.1f} {r.get('p99_ms', 0):>7.1f} "
            f"{r.get('errors', 0):>6} {cpu_ms:>7} {wall:>5.0%} {cpu:>5.0%} "
            f"{('>=' + format(target, '.0%')) if target is not None else '':>6} "
            f"{verdict(ok) if target is not None else '':>7} "
            f"{probe.get('bytes', 0) / 1024:>4.0f} {etag_cell(probe):>8}")
        row["ok"] = ok
    add("req/s and latencies: wall clock, under load from another process. CPU ms: web and "
        "database CPU per request.")
    add("wall: req/s as a share of /livez's (mean of the /livez runs just before and after the "
        "page); CPU: /livez's CPU per request as a share of the page's,")
    add("i.e. the req/s ratio once the web CPU is the limit. The result column judges the CPU "
        "ratio, which other work on a shared machine does not move.")
    for row in results.get("pages", []):
        r = row["result"]
        if r.get("runs"):
            add(f"/livez over {r['runs']} runs: {r['low']:.0f} to {r['high']:.0f} req/s "
                f"(load average before/after the pages: {results.get('load', '?')})")
    add("")
    submit = results.get("submit", {})
    if submit:
        add(f"Issue submission, {SUBMITTERS} concurrent submitters (POST /issues/new/, each "
            "with its own X-Forwarded-For, TRUST_X_FORWARDED_FOR=true):")
        for key, label in (("instant", "instant mail server"),
                           ("slow", f"mail server taking {MAIL_DELAY:.0f} s per message"),
                           ("paused", "control: worker paused, no delivery")):
            r = submit.get(key)
            if r:
                add(f"  {label:<36} {r.get('runs', 1)} runs {r['ok']:>5} posts "
                    f"{r['rps']:>6.1f}/s  p50 "
                    f"{r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms  p99 "
                    f"{r['p99_ms']:>7.1f} ms  errors {r['errors']}"
                    + (f"  mail delivered {r['mail']}" if "mail" in r else ""))
                wall = r["rps"] / base if base else 0
                cpu_ratio = (base_cpu / r["cpu_ms"]) if base_cpu and r.get("cpu_ms") else 0
                add(f"  {'':<36} web and database CPU {r.get('cpu_ms', 0):.2f} ms per post; "
                    f"vs /livez: wall {wall:.0%}, CPU {cpu_ratio:.1%}")
                for note in r.get("notes", []):
                    add(f"      note: {note}")
        if submit.get("instant") and submit.get("slow") and submit["instant"]["p95_ms"]:
            ratio = submit["slow"]["p95_ms"] / submit["instant"]["p95_ms"]
            ok = ratio <= 1.10 and not submit["slow"]["errors"] and submit["slow"]["ok"] > 0
            add(f"  p95 slow / instant = {ratio:.2f} (target <= 1.10): {verdict(ok)}")
            submit["ok"] = ok
        if submit.get("paused") and submit.get("slow") and submit["paused"]["p95_ms"]:
            ratio = submit["slow"]["p95_ms"] / submit["paused"]["p95_ms"]
            add(f"  p95 slow / paused = {ratio:.2f} (a control, not a target: the mail server's "
                "speed alone, with almost no delivery work in either)")
            add("  (With an instant server the worker delivers every message at once, on the same "
                "cores as the web processes;")
            add("  with a slow one, or none, it mostly waits. That CPU, not the mail server, is "
                "what moves the instant figure.)")
        add("")
    outage = results.get("outage")
    if outage:
        add("Redis stopped (the bench's own server; broker and cache both away):")
        health = outage.get("healthz", {})
        add(f"  /healthz, 5 probes: answered {health.get('statuses')} in "
            f"{', '.join(str(ms) for ms in health.get('ms', []))} ms (target: 503 within 1000 ms)")
        rates = sorted(r["rps"] for r in outage["livez"])
        livez = rates[len(rates) // 2] if rates else 0
        costs = sorted(r["cpu_ms"] for r in outage["livez"] if r.get("cpu_ms"))
        livez_cpu = costs[len(costs) // 2] if costs else 0
        add(f"  /livez: {livez:.1f} req/s, CPU {livez_cpu:.2f} ms (median of {len(rates)} runs "
            "around the pages)")
        ratios = []
        errors = sum(r["errors"] for r in outage["livez"])
        for row in outage["pages"]:
            r = row["result"]
            ratio = r["rps"] / livez if livez else 0
            ratios.append(ratio)
            errors += r["errors"]
            cpu_ratio = livez_cpu / r["cpu_ms"] if livez_cpu and r.get("cpu_ms") else 0
            add(f"  {row['name'][:28]:<28} {row['path'][:30]:<30} {r['rps']:>7.1f} req/s "
                f"p95 {r['p95_ms']:>6.1f} ms errors {r['errors']:>3} CPU "
                f"{r.get('cpu_ms', 0):.2f} ms  wall {ratio:>4.0%}, CPU {cpu_ratio:>4.0%} of /livez")
        if ratios:
            ok = min(ratios) >= OUTAGE_PAGE_TARGET and not errors
            outage["pages_ok"] = ok
            add(f"  warm public pages with Redis stopped: {min(ratios):.0%} to {max(ratios):.0%} "
                f"of /livez's req/s, {errors} errors (target >= {OUTAGE_PAGE_TARGET:.0%} each, "
                f"no errors): {verdict(ok)}")
        sub = outage.get("submit")
        if sub:
            add(f"  issue posts: {sub['ok']} saved, {sub['rps']:.1f}/s, p95 {sub['p95_ms']:.1f} "
                f"ms, errors {sub['errors']}")
        seconds = outage.get("recovery_seconds")
        ok = (seconds is not None and seconds < OUTAGE_RECOVERY_TARGET
              and outage.get("delivered_after") == outage.get("waiting") and not outage["left"])
        outage["recovery_ok"] = ok
        add(f"  mail queued while Redis was away: {outage.get('waiting')} waiting, "
            f"{outage.get('delivered_after')} delivered after it came back (each once: "
            f"{'yes' if outage.get('delivered_after') == outage.get('waiting') else 'NO'}), "
            f"not sent {outage.get('left') or 'none'}")
        add(f"  Redis back -> last pending mail delivered: "
            f"{'not within 300' if seconds is None else seconds} s, with beat's sweep every "
            f"{os.environ.get('OUTBOX_SWEEP_SECONDS', '30')} s (target < "
            f"{OUTAGE_RECOVERY_TARGET} s): {verdict(ok)}")
        add("")
    work = results.get("work", {})
    if work:
        add("Background work:")
        for key, label in (("import_insert", "new rows"), ("import", "same keys again")):
            imp = work.get(key)
            if imp:
                add(f"  observation import, {label} ({imp.get('path', '?')}): "
                    f"{imp.get('rows', 0):,} rows in {imp.get('seconds', 0):.2f} s = "
                    f"{imp.get('rate', 0):,.0f} rows/s")
        ref = work.get("refresh")
        if ref:
            add(f"  dashboard refresh ({ref.get('path', '?')}): {ref.get('seconds', 0):.2f} s"
                + (f"  {ref['detail']}" if ref.get("detail") else "")
                + (f"  note: {ref['note']}" if ref.get("note") else ""))
        mail = work.get("mail")
        if mail:
            ok = mail.get("rate", 0) >= 50 and mail.get("delivered") == mail.get("queued")
            add(f"  mail through the worker: {mail.get('delivered', 0)}/{mail.get('queued', 0)} "
                f"delivered in {mail.get('seconds', 0):.2f} s = {mail.get('rate', 0):.1f} "
                f"mails/s (target >= 50): {verdict(ok)}")
            work["mail_ok"] = ok
        add("")
    admin = results.get("admin", {})
    if admin:
        add("Admin changelists (signed-in superuser with a TOTP code; median of "
            "sequential loads):")
        for name, r in admin.items():
            small, full = r.get("small_ms"), r.get("full_ms")
            if small and full:
                ratio = full / small
                ok = ratio <= 3
                r["ok"] = ok
                add(f"  {name:<28} {r.get('small_rows', '?'):>7} rows {small:>8.1f} ms   "
                    f"{r.get('full_rows', '?'):>7} rows {full:>8.1f} ms   x{ratio:.2f} "
                    f"(target <= 3): {verdict(ok)}")
            else:
                add(f"  {name:<28} not measured: {r.get('note', 'no figures')}")
        add("")
    for note in results.get("notes", []):
        add(f"note: {note}")
    add(f"Total time: {time.monotonic() - START:.0f} s")
    return "\n".join(lines)


# --- the run ----------------------------------------------------------------------------------

def main() -> int:
    results: dict = {"notes": [], "pages": []}
    procs = None
    sink = None
    var_dir = Path(tempfile.mkdtemp(prefix="cswb-bench-"))
    keep = os.environ.get("BENCH_KEEP", "").lower() in {"1", "true", "yes"}
    created_db = False

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    # SIGINT too: a shell starting the bench in the background makes it ignore Ctrl-C otherwise.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    redis_server = None
    try:
        preflight()
        if OWN_REDIS:
            from cswb.testing.redis import RedisServer

            global REDIS
            # The broker's settings (keep every key); the cache shares it, as REDIS_URL alone
            # configures (broker in database 12, cache in 13).
            redis_server = RedisServer(maxmemory="0", policy="noeviction").start()
            REDIS = f"redis://127.0.0.1:{redis_server.port}"
            log(f"Redis of the bench's own on 127.0.0.1:{redis_server.port}")
        port = int(os.environ.get("BENCH_PORT") or free_port())
        sink = Sink().start()
        log(f"SMTP sink on 127.0.0.1:{sink.port}; logs and static files in {var_dir}")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cswb.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": f"{PG}/{DB_NAME}",
            "REDIS_URL": f"{REDIS}/{BROKER_DB}",
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "CSWB_VAR_DIR": str(var_dir),
            "TRUST_X_FORWARDED_FOR": "true",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        os.environ["BENCH_SINK_PORT"] = str(sink.port)
        database_reset()
        created_db = True
        redis_flush()
        log(f"fresh database {DB_NAME}, Redis databases {BROKER_DB} (broker) and {CACHE_DB} "
            "(cache) emptied")
        manage = [PY, "manage.py"]
        run([*manage, "migrate", "--noinput"], env, what="manage.py migrate", timeout=300)
        log("migrated")
        try:
            run([*manage, "collectstatic", "--noinput"], env, what="manage.py collectstatic",
                timeout=300)
            log("static files collected (WhiteNoise manifest storage)")
        except BenchError as exc:
            problem = str(exc).strip().splitlines()[-6:]
            results["notes"].append(
                "PRODUCTION BUG: collectstatic with the manifest storage fails: "
                + " ".join(line.strip() for line in problem if line.strip())
                + " -- this run used bench/settings_nomanifest.py (no hashed names) instead")
            log("collectstatic with the manifest storage FAILED; falling back to "
                "bench/settings_nomanifest.py")
            env["DJANGO_SETTINGS_MODULE"] = "bench.settings_nomanifest"
            run([*manage, "collectstatic", "--noinput"], env,
                what="manage.py collectstatic (fallback)", timeout=300)
        run([*manage, "load_reference_data"], env, what="manage.py load_reference_data",
            timeout=300)
        log("reference data loaded")
        small = django(["dataset", "small"], env, what="small dataset", timeout=300)
        log(f"small dataset: {small.get('counts')}")
        admin_user = django(["superuser"], env, what="superuser with a TOTP device")

        procs = Processes(var_dir)
        bin_dir = Path(PY).parent
        gunicorn = str(bin_dir / "gunicorn") if (bin_dir / "gunicorn").exists() else "gunicorn"
        celery = str(bin_dir / "celery") if (bin_dir / "celery").exists() else "celery"
        # The Procfile's web and worker commands, on loopback.
        web = procs.spawn("web", [gunicorn, "cswb.wsgi", "-c", "cswb/gunicorn.conf.py",
                            "--bind", f"127.0.0.1:{port}", "--workers",
                            str(WEB_WORKERS), "--forwarded-allow-ips", "*"], env)
        worker = procs.spawn("worker", [celery, "-A", "cswb", "worker", "--loglevel", "INFO",
                               "--concurrency", str(WORKER_CONCURRENCY), "--without-gossip",
                               "--without-mingle", "-n", f"bench-{port}@localhost"], env,
                    # Cold shutdown: do not wait for a batch of slow deliveries to finish.
                    stop_signal=signal.SIGQUIT)
        # Beat, as the Procfile runs it: its outbox sweep delivers what the outage run queues.
        procs.spawn("beat", [celery, "-A", "cswb", "beat", "--loglevel", "INFO",
                             "--schedule", str(var_dir / "beat-schedule")], env)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_status(f"{base}/livez") == 200, timeout=60,
                   what="gunicorn (/livez)", procs=procs)
        wait_until(lambda: http_status(f"{base}/healthz") == 200, timeout=30,
                   what="/healthz (database, cache, broker)", procs=procs)
        worker_log = var_dir / "worker.log"
        wait_until(lambda: b" ready." in worker_log.read_bytes(), timeout=60,
                   what="Celery worker", procs=procs)
        wait_until(lambda: b"beat: Starting" in (var_dir / "beat.log").read_bytes(), timeout=60,
                   what="Celery beat", procs=procs)
        log(f"gunicorn on {base}, the Celery worker and beat are up")
        cpu = ServerCpu(web.pid)

        def admin_args(user: dict) -> list[str]:
            # "--flag=value": a random password may start with "-".
            return ["admin", "--port", str(port), f"--username={user['username']}",
                    f"--password={user['password']}", f"--totp-key={user['totp_key']}",
                    "--repeat", "12", "--paths", *small["admin_paths"].values()]

        if "admin" in PARTS:
            admin_small = client(admin_args(admin_user), timeout=180)
            results["admin"] = {}
            for name, path in small["admin_paths"].items():
                page = admin_small["pages"].get(path)
                results["admin"][name] = {
                    "small_ms": page and page["median_ms"],
                    "small_rows": page and page["rows_shown"],
                    "note": "; ".join(admin_small["notes"]) or (page and page["errors"]) or "",
                }
            log(f"admin changelists with the small dataset: {admin_small}")

        full = django(["dataset", "full"], env, what="full dataset", timeout=400)
        results["dataset"] = full
        log(f"full dataset in {full.get('seconds')} s: {full.get('counts')}")
        if "admin" in PARTS:
            # A second staff member signs in: a TOTP code is accepted once, so the first
            # member's code from this same 30 s step would be refused.
            admin_user = django(["superuser"], env, what="second admin sign-in")
            admin_full = client(admin_args(admin_user), timeout=300)
            for name, path in full["admin_paths"].items():
                page = admin_full["pages"].get(path)
                entry = results["admin"].setdefault(name, {})
                entry["full_ms"] = page and page["median_ms"]
                entry["full_rows"] = page and page["rows_shown"]
                if admin_full["notes"]:
                    entry["note"] = "; ".join(admin_full["notes"])
            log(f"admin changelists with the full dataset: {admin_full}")

        work = results["work"] = {"import_insert": full.get("import")}
        if "work" in PARTS:
            work["import"] = django(["import"], env, what="observation import", timeout=300)
            log(f"import: {work['import']}")
            work["refresh"] = django(["refresh"], env, what="dashboard refresh", timeout=300)
            log(f"refresh: {work['refresh']}")

        if "pages" in PARTS:
            # Public pages, warm: each is loaded a few times first so the shared cache holds it.
            # /livez runs before every page and after the last one; a page's ratio is to the mean
            # of the two /livez runs around it, so a burst of other work on the machine moves both.
            results["engine"] = engine()
            for _name, path, _target in [("livez", "/livez", None), *full["pages"]]:
                for _ in range(3):
                    http_status(f"{base}{path}", timeout=60)
            livez_runs = []

            def measure_livez():
                r = measured_get(port, "/livez", cpu)
                livez_runs.append(r)
                log(f"/livez: {r['rps']} req/s p95 {r['p95_ms']} ms errors {r['errors']}")
                return r

            load_before = Path("/proc/loadavg").read_text().split()[0]
            before = measure_livez()
            for name, path, target in full["pages"]:
                if time.monotonic() - START > TOTAL_BUDGET:
                    results["notes"].append(f"time budget reached: {path} not measured")
                    continue
                probe = page_probe(port, path)
                if probe["status"] != 200:
                    results["notes"].append(f"{path} answered {probe['status']} before the run "
                                            f"(Location {probe['location']!r})")
                r = measured_get(port, path, cpu)
                r["probe"] = probe
                after = measure_livez()
                r["livez_rps"] = (before["rps"] + after["rps"]) / 2
                before = after
                results["pages"].append({"name": name, "path": path, "target": target, "result": r})
                log(f"{path}: {r['rps']} req/s p95 {r['p95_ms']} ms errors {r['errors']} "
                    f"({r['rps'] / r['livez_rps']:.0%} of /livez)")
            rates = sorted(r["rps"] for r in livez_runs)
            costs = sorted(r["cpu_ms"] for r in livez_runs if r.get("cpu_ms"))
            livez_row = dict(livez_runs[len(livez_runs) // 2])
            livez_row.update(rps=rates[len(rates) // 2], livez_rps=rates[len(rates) // 2],
                             runs=len(rates), low=rates[0], high=rates[-1],
                             cpu_ms=costs[len(costs) // 2] if costs else None)
            results["livez_cpu_ms"] = livez_row["cpu_ms"]
            results["load"] = f"{load_before}/{Path('/proc/loadavg').read_text().split()[0]}"
            results["pages"].insert(0, {"name": f"trivial view ({len(rates)} runs, median)",
                                        "path": "/livez", "target": None, "result": livez_row})
            results["livez_rps"] = livez_row["rps"]
            procs.check_alive()

        if "mail" in PARTS:
            # Mail delivered per second through the worker (instant sink).
            before = sink.count
            queued = django(["mail", str(MAIL_COUNT)], env, what="queue outbox mail")
            done_at = wait_for_mail(sink, before + MAIL_COUNT, timeout=120)
            delivered = sink.count - before
            end = done_at or time.time()
            seconds = end - queued["started"]
            work["mail"] = {"queued": MAIL_COUNT, "delivered": delivered, "seconds": seconds,
                            "rate": delivered / seconds if seconds > 0 else 0,
                            "queue_seconds": queued["seconds"]}
            log(f"mail: {work['mail']}")

        if "submit" in PARTS and full.get("submit_path"):
            # Issue submission with an instant mail server, then with one taking 2 s per message.
            results["submit"] = {}
            submit_args = ["submit", "--port", str(port), "--path", full["submit_path"],
                           "--concurrency", str(SUBMITTERS), "--requests", str(SUBMIT_REQUESTS),
                           "--seconds", str(SUBMIT_SECONDS), "--fill-seconds",
                           str(full.get("min_fill_seconds", 3) + 0.5)]
            # Alternate the mail servers (instant, slow, instant, slow) so that other work on
            # the machine weighs on all alike; each run's submitters fetch the form and wait out
            # its minimum fill time once, then post for SUBMIT_SECONDS. The third case is a
            # control: the worker is paused (SIGSTOP), so no mail is delivered at all.
            delays = {"instant": 0.0, "slow": MAIL_DELAY, "paused": 0.0}
            order = os.environ.get("BENCH_SUBMIT_ORDER", "instant,slow,paused").split(",")
            runs = {key: [] for key in order if key in delays}
            for _round in range(SUBMIT_ROUNDS):
                for key in runs:
                    sink.handler.delay = delays[key]
                    before = sink.count
                    cpu_before = cpu.seconds()
                    if key == "paused":
                        os.killpg(worker.pid, signal.SIGSTOP)
                    try:
                        r = client([*submit_args, "--raw"], timeout=SUBMIT_SECONDS + 120)
                    finally:
                        if key == "paused":
                            os.killpg(worker.pid, signal.SIGCONT)
                    r["mail"] = sink.count - before
                    r["cpu_seconds"] = cpu.seconds() - cpu_before
                    runs[key].append(r)
                    log(f"submit ({key}): {r['ok']} posts, {r['rps']}/s, p95 {r['p95_ms']} ms, "
                        f"errors {r['errors']}, mail delivered during the run {r['mail']}")
                    # Empty the queue at full speed before the next run.
                    sink.handler.delay = 0
                    wait_quiet(sink, idle=1.5, timeout=60)
            for key, parts in runs.items():
                latencies = sorted(x for r in parts for x in r.get("latencies_ms", []))
                seconds = sum(r["seconds"] for r in parts)
                ok = sum(r["ok"] for r in parts)
                results["submit"][key] = {
                    "runs": len(parts), "ok": ok, "errors": sum(r["errors"] for r in parts),
                    "rps": round(ok / seconds, 1) if seconds else 0,
                    "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
                    "p99_ms": percentile(latencies, 99), "mail": sum(r["mail"] for r in parts),
                    "notes": [n for r in parts for n in r.get("notes", [])][:5],
                    # Includes the 16 form fetches of each run (a few per cent of the posts).
                    "cpu_ms": round(sum(r["cpu_seconds"] for r in parts) * 1000
                                    / max(sum(r["requests"] for r in parts), 1), 2),
                }
        if "outage" in PARTS:
            if redis_server is None:
                results["notes"].append("outage run skipped: BENCH_REDIS names a server the "
                                        "bench must not stop")
            else:
                results["engine"] = engine()
                results["outage"] = measure_outage(
                    redis_server, port, full, cpu, sink, env, submit_path=full.get("submit_path"),
                    min_fill=full.get("min_fill_seconds", 3))
        procs.check_alive()
    except BenchError as exc:
        results["notes"].append(f"stopped early: {exc}")
        print(f"\nBENCH ERROR: {exc}\n", file=sys.stderr, flush=True)
    except KeyboardInterrupt as exc:
        results["notes"].append(f"interrupted ({exc})")
    finally:
        if sink is not None:
            sink.handler.delay = 0
        if procs is not None:
            procs.stop_all()
        if sink is not None:
            sink.stop()
        if redis_server is not None:
            redis_server.stop()
        if created_db and not keep:
            try:
                database_reset(drop_only=True)
                redis_flush()
            except Exception as exc:  # noqa: BLE001 - report, the table still prints
                results["notes"].append(f"could not drop {DB_NAME}: {exc}")
        elif keep:
            results["notes"].append(f"database {DB_NAME} kept (BENCH_KEEP)")
    report = table(results)
    print("\n" + report, flush=True)
    if os.environ.get("BENCH_OUT"):
        Path(os.environ["BENCH_OUT"]).write_text(report + "\n")
    failed = any(n.startswith(("stopped early", "interrupted")) for n in results["notes"])
    if not failed and not keep:
        shutil.rmtree(var_dir, ignore_errors=True)
    else:
        print(f"logs kept in {var_dir}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    sys.exit(main())
