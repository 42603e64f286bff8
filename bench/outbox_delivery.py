"""Measure how fast the outbox delivers queued mail to a local SMTP sink, and print the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cswb_issues REDIS_URL=redis://127.0.0.1:6379/8 \
        .venv/bin/python bench/outbox_delivery.py [COUNT]

Run ``manage.py migrate`` on that database first. Two runs over COUNT messages (500 by default):
1. in process: ``messages_deliver`` batches, one SMTP connection per batch (the worker's code
   path without the broker);
2. with REDIS_URL set: a real Celery worker (prefork, concurrency 2) started for the run, the
   messages queued the way the web process queues them (one task per message after commit).
The bench's rows (kind ``bench.outbox``) are deleted afterwards.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cswb.outbox import services  # noqa: E402
from cswb.outbox.models import Message  # noqa: E402
from cswb.testing.smtp import SmtpSink  # noqa: E402

KIND = "bench.outbox"


def queue(count: int, *, label: str) -> float:
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(count):
            services.message_queue(
                to=f"bench{i}@example.org", template="test-message",
                context={"name": f"Bench {i}"}, kind=KIND,
                dedupe_key=f"bench:{label}:{time.time()}:{i}",
            )
    return time.perf_counter() - started


def in_process(count: int, sink: SmtpSink) -> dict:
    settings.EMAIL_BACKEND = services.SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    from cswb.celery import app

    app.conf.task_always_eager = False  # queue without delivering: this run delivers itself
    app.conf.broker_url = "memory://"
    queue_seconds = queue(count, label="inproc")
    before = len(sink.messages)
    started = time.perf_counter()
    batches = 0
    while True:
        report = services.messages_deliver()
        batches += 1
        if not report.sent:
            break
    seconds = time.perf_counter() - started
    delivered = len(sink.messages) - before
    return {"delivered": delivered, "seconds": seconds, "rate": delivered / seconds,
            "batches": batches - 1, "connections": sink.handler.connections,
            "queue_seconds": queue_seconds}


def with_worker(count: int, sink: SmtpSink) -> dict:
    from cswb.celery import app
    from cswb.testing.worker import Worker, database_url

    app.conf.broker_url = settings.CELERY_BROKER_URL
    app._pool = None
    app.amqp._producer_pool = None
    app.control.purge()
    worker = Worker(redis_url=settings.REDIS_URL, db_url=database_url(connection.settings_dict),
                    email_url=sink.url, extra_env={"LOG_LEVEL": "WARNING"}).start(app)
    app.conf.task_always_eager = False
    try:
        before = len(sink.messages)
        started = time.perf_counter()
        queue_seconds = queue(count, label="worker")
        deadline = time.monotonic() + 120
        while len(sink.messages) - before < count and time.monotonic() < deadline:
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    finally:
        worker.stop()
    delivered = len(sink.messages) - before
    return {"delivered": delivered, "seconds": seconds, "rate": delivered / seconds,
            "queue_seconds": queue_seconds}


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    if connection.vendor != "postgresql":
        print("Set DATABASE_URL to a migrated PostgreSQL database.", file=sys.stderr)
        return 2
    sink = SmtpSink().start()
    try:
        Message.objects.filter(kind=KIND).delete()
        rows = [("in process (batches over one connection)", in_process(count, sink))]
        if settings.REDIS_URL:
            rows.append(("real worker over Redis (one task per message)", with_worker(count, sink)))
    finally:
        sink.stop()
        Message.objects.filter(kind=KIND).delete()
    print(f"\nOutbox delivery of {count} messages to a local SMTP sink "
          f"({os.cpu_count()} CPUs, {connection.vendor})")
    print(f"{'run':<48} {'delivered':>9} {'seconds':>8} {'mail/s':>8}  notes")
    for name, r in rows:
        notes = f"queued in {r['queue_seconds']:.2f} s"
        if "connections" in r:
            notes += f", {r['batches']} delivery runs, {r['connections']} SMTP connections"
        print(f"{name:<48} {r['delivered']:>9} {r['seconds']:>8.2f} {r['rate']:>8.0f}  {notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
