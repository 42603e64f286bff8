"""Benchmark the action-tables app: public pages at growing sizes, and mailing followers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cswb_actiontables_bench \
        .venv/bin/python bench/actiontables_pages.py [--sizes 5,50,200] [--followers 1000]

The database named in DATABASE_URL is created if missing, migrated, and its action-tables rows
are replaced: never point it at a database you care about. For each size it prints, per page, the
number of SQL queries and the median time of 20 renders (page cache emptied before each), and the
median time of a page served from the page cache. Then it times queuing the emails of one update
for N confirmed followers, and running the same task again (which must queue nothing).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

RENDERS = 20


def ensure_database():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database of its own, e.g. "
              "postgres://postgres@127.0.0.1:5432/cswb_actiontables_bench", file=sys.stderr)
        sys.exit(2)
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True
    )


def populate(size: int, updates_per_table: int = 20):
    """Replace the action tables with ``size`` tables, each with 2 leads, 3 key areas, updates."""
    import datetime

    from django.db import connection

    from actiontables.models import (
        ActionTable,
        ActionTableLead,
        KeyArea,
        LeadershipMember,
        LeadershipSeat,
        Organization,
        ProgressUpdate,
        Zone,
    )

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE actiontables_subscription, actiontables_progressupdate, "
            "actiontables_keyarea, actiontables_actiontablelead, actiontables_actiontable_zones, "
            "actiontables_actiontable_members, actiontables_actiontable, "
            "actiontables_leadershipmember, actiontables_leadershipseat, "
            "actiontables_organization CASCADE"
        )
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Organization {n}", short_name=f"O{n}", sector="community-agency")
        for n in range(size * 2)
    )
    tables = ActionTable.objects.bulk_create(
        ActionTable(
            name=f"Table {n:04d}", slug=f"table-{n}", summary="Partners working together. " * 8,
            status="sunset" if n % 10 == 0 else "active",
            convened_on=datetime.date(2019, 1, 1),
            sunset_on=datetime.date(2022, 1, 1) if n % 10 == 0 else None,
        )
        for n in range(size)
    )
    ActionTableLead.objects.bulk_create(
        ActionTableLead(table=table, organization=orgs[2 * n + k], order=k)
        for n, table in enumerate(tables)
        for k in range(2)
    )
    zones = list(Zone.objects.all())
    ActionTable.zones.through.objects.bulk_create(
        ActionTable.zones.through(actiontable=table, zone=zones[n % 4])
        for n, table in enumerate(tables)
    )
    KeyArea.objects.bulk_create(
        KeyArea(table=table, title=f"Key area {k}", order=k) for table in tables for k in range(3)
    )
    today = datetime.date.today()
    ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            table=table, date=today - datetime.timedelta(days=30 * k), title=f"Update {k}",
            body="What the table did this month. " * 20, outcomes="One\nTwo",
            status="published",
        )
        for table in tables
        for k in range(updates_per_table)
    )
    seats = LeadershipSeat.objects.bulk_create(
        LeadershipSeat(name=f"Seat {n}", order=n) for n in range(7)
    )
    LeadershipMember.objects.bulk_create(
        LeadershipMember(seat=seats[n % 7], organization=orgs[n], order=n)
        for n in range(min(20, len(orgs)))
    )
    return tables


def measure(client, path: str) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cswb.lib.pagecache import local_pages

    timings = []
    for _ in range(RENDERS):
        cache.clear()
        local_pages.clear()  # this process's copies too: measure a cold render
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        timings.append(time.perf_counter() - started)
        # Read now: the next request empties the query log.
        query_count = len(queries.captured_queries)
        assert response.status_code == 200, (path, response.status_code)
    cached = []
    for _ in range(RENDERS):
        started = time.perf_counter()
        client.get(path)
        cached.append(time.perf_counter() - started)
    return {
        "queries": query_count,
        "render_ms": statistics.median(timings) * 1000,
        "cached_ms": statistics.median(cached) * 1000,
        "kb": len(response.content) / 1024,
    }


def bench_pages(sizes):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    print(f"{'tables':>6} {'page':<22} {'queries':>7} {'render ms':>10} {'cached ms':>10} "
          f"{'KiB':>7}")
    for size in sizes:
        tables = populate(size)
        pages = {
            "index": "/action-tables/",
            "index ?zone=prevention": "/action-tables/?zone=prevention",
            "table page": tables[1].get_absolute_url(),
            "leadership group": "/action-tables/leadership-group/",
            "Atom feed": "/action-tables/feed/",
        }
        for label, path in pages.items():
            result = measure(client, path)
            print(f"{size:>6} {label:<22} {result['queries']:>7} {result['render_ms']:>10.1f} "
                  f"{result['cached_ms']:>10.1f} {result['kb']:>7.1f}")


def bench_followers(count: int):
    from django.db import transaction
    from django.utils import timezone

    from actiontables import services
    from actiontables.models import ProgressUpdate, Subscription
    from cswb.outbox.models import Message

    table = populate(1, updates_per_table=0)[0]
    Message.objects.filter(kind="actiontables.update").delete()
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(table=table, email=f"follower{n}@example.net", confirmed_at=now)
        for n in range(count)
    )
    update = ProgressUpdate.objects.create(
        table=table, title="News", body="Body", status="published", published_at=now
    )
    # Delivery is left to the outbox: hand nothing to a broker during the measurement.
    with transaction.atomic():
        started = time.perf_counter()
        queued = services.progress_update_notify(update_id=update.pk)
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = services.progress_update_notify(update_id=update.pk)
        second = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"\nfollowers={count}: queued {queued} emails in {first:.2f} s "
          f"({first / max(queued, 1) * 1000:.2f} ms each); the same task again queued {again} "
          f"in {second:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,50,200")
    parser.add_argument("--followers", type=int, default=1000)
    args = parser.parse_args()
    ensure_database()
    import django

    django.setup()
    bench_pages([int(size) for size in args.sizes.split(",")])
    bench_followers(args.followers)


if __name__ == "__main__":
    main()
