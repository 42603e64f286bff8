"""Run a real Celery worker, in its own process, against the test database and Redis."""

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def worker_required() -> bool:
    return os.environ.get("CSWB_REQUIRE_WORKER", "").lower() in {"1", "true", "yes"}


def _skip_or_fail(message: str):
    if worker_required():
        pytest.fail(message + " CSWB_REQUIRE_WORKER is set, so this is an error.")
    pytest.skip(message)


def database_url(settings_dict: dict) -> str:
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


class Worker:
    def __init__(self, *, redis_url: str, db_url: str, email_url: str, extra_env=None):
        self.name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "EMAIL_URL": email_url,
            "DEBUG": "true",
            **(extra_env or {}),
        }
        self.process = None
        self.log_path = BASE_DIR / "var" / f"worker-{self.name.split('@')[0]}.log"

    def start(self, app, timeout: float = 60):
        self.log_path.parent.mkdir(exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "cswb", "worker",
                "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO",
                "--without-gossip", "--without-mingle", "-n", self.name,
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The worker exited at start:\n{self.log()}")
            if app.control.ping(destination=[self.name], timeout=0.5):
                return self
        self.stop()
        raise RuntimeError(f"The worker did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self):
        """Kill the worker and its pool at once, as a crash or an OOM kill would."""
        subprocess.run(["pkill", "-KILL", "-P", str(self.process.pid)], check=False)
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_path.unlink(missing_ok=True)


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.")


def start_worker(
    settings, *, email_url: str, extra_env=None, redis_url: str = "", purge: bool = True
) -> Worker:
    """Start a real worker like the ``celery_worker`` fixture does, with extra environment
    (e.g. a short retry backoff); skip or fail the same way when Redis or PostgreSQL is missing.
    ``redis_url``: a broker of the test's own instead of REDIS_URL (point the app at it with
    ``broker_at``). ``purge=False`` keeps the tasks already queued. The caller stops it and sets
    ``task_always_eager`` back."""
    from django.db import connection

    from cswb.celery import app

    redis_url = redis_url or settings.REDIS_URL
    if not redis_url:
        _skip_or_fail("Worker tests need REDIS_URL (e.g. redis://127.0.0.1:6379/0).")
    if connection.vendor != "postgresql":
        _skip_or_fail("Worker tests need DATABASE_URL pointing at PostgreSQL.")
    if purge:
        app.control.purge()
    worker = Worker(
        redis_url=redis_url,
        db_url=database_url(connection.settings_dict),
        email_url=email_url,
        extra_env=extra_env,
    ).start(app)
    app.conf.task_always_eager = False
    return worker


@contextmanager
def broker_at(app, url: str):
    """Point ``app`` at the broker ``url``; restore the real broker on exit. The app forgets its
    pools both ways; kombu keeps one pool per broker address, so the real one is found again as
    it was."""

    def drop_pools():
        app._pool = None
        app.amqp._producer_pool = None

    from cswb.lib.tasks import broker_breaker

    real_url = app.conf.broker_url
    app.conf.broker_url = url
    drop_pools()
    try:
        yield
    finally:
        app.conf.broker_url = real_url
        drop_pools()
        # As if the web process's retry interval had passed since the broker came back.
        broker_breaker().reset()


@contextmanager
def broker_down(app, dead_url: str = "redis://127.0.0.1:1/0"):
    """Point ``app`` at a broker address where nothing listens, as if Redis were down."""
    with broker_at(app, dead_url):
        yield
