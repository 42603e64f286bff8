"""Grant figures: how long a submission, an approval and the public pages take.

Runs against a throwaway database (SQLite in a temporary folder unless DATABASE_URL is set, in
which case point it at a database made for the purpose). Prints one line per figure.

    .venv/bin/python bench/grants_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cswb_grants_bench \
        .venv/bin/python bench/grants_bench.py --threads 8
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
TMP = tempfile.mkdtemp(prefix="grants-bench-")
os.environ.setdefault("CSWB_VAR_DIR", TMP)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")
os.environ.setdefault("EMAIL_URL", "dummy:")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from grants import services  # noqa: E402
from grants.models import Application, BudgetLine, Round  # noqa: E402
from grants.workflow import State  # noqa: E402
from indicators.models import Geography  # noqa: E402


def draft(round_, n):
    application = Application.objects.create(
        round=round_, org_legal_name=f"Bench organization {n}", org_type="non_profit",
        contact_name="Bench", contact_email=f"bench{n}@example.org", program_title=f"Program {n}",
        age_min=12, age_max=18, duration_years=1, amount_requested=Decimal("10000"),
        declare_accurate=True, declare_authority=True, declare_privacy=True,
        publish_consent=True,
    )
    BudgetLine.objects.create(application=application, category="staffing", year=1,
                              amount=Decimal("10000"))
    application.municipalities.set(Geography.objects.municipalities()[:2])
    return application


def timed(label, values):
    values_ms = [v * 1000 for v in values]
    print(f"{label}: n={len(values_ms)} median={statistics.median(values_ms):.1f} ms "
          f"p95={sorted(values_ms)[int(len(values_ms) * 0.95) - 1]:.1f} ms "
          f"max={max(values_ms):.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    call_command("load_reference_data", demo=True, verbosity=0)
    round_ = Round.objects.get(slug="demonstration-intake")
    print(f"database: {connection.vendor}")

    drafts = [draft(round_, n) for n in range(args.applications)]
    durations = []
    for application in drafts[: args.applications // 2]:
        start = time.perf_counter()
        services.application_submit(application=application)
        durations.append(time.perf_counter() - start)
    timed("submit, one at a time (reference, event, 2 emails)", durations)

    rest = drafts[args.applications // 2:]
    if connection.vendor == "postgresql":
        chunks = [rest[i:: args.threads] for i in range(args.threads)]

        def worker(chunk):
            for application in chunk:
                services.application_submit(application=application)
            connection.close()

        start = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        references = Application.objects.exclude(reference=None).values_list("reference",
                                                                             flat=True)
        print(f"submit, {args.threads} threads at once: {len(rest)} in {elapsed:.2f} s "
              f"({len(rest) / elapsed:.0f}/s); {len(set(references))} distinct references "
              f"for {len(references)} submissions")

    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("bench-staff", "staff@example.org", "x")
    submitted = list(Application.objects.filter(state=State.SUBMITTED)[:100])
    Application.objects.filter(pk__in=[a.pk for a in submitted]).update(
        state=State.RECOMMENDED)
    durations = []
    for application in submitted:
        start = time.perf_counter()
        services.application_approve(
            application=application, user=staff, amount=Decimal("10000"), years=1,
            interim_due=round_.program_starts_on, final_due=round_.program_ends_on,
        )
        durations.append(time.perf_counter() - start)
    timed("approve (fund lock, limits, award, reports, email)", durations)

    client = Client(HTTP_HOST="127.0.0.1")
    for label, url in [
        ("grants page", reverse("grants:index")),
        ("apply form", reverse("grants:apply", args=[round_.slug])),
        (f"funded page, {len(submitted)} awards, uncached",
         reverse("grants:funded", args=[round_.funding_year])),
    ]:
        durations = []
        for _ in range(20):
            from django.core.cache import cache

            from cswb.lib.pagecache import local_pages

            cache.clear()
            local_pages.clear()  # this process's copies too: measure a cold render
            start = time.perf_counter()
            response = client.get(url)
            durations.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        timed(label, durations)
    start = time.perf_counter()
    response = client.get(reverse("grants:funded_csv", args=[round_.funding_year]))
    rows = b"".join(response.streaming_content).count(b"\n") - 1
    print(f"funded CSV: {rows} rows in "
          f"{(time.perf_counter() - start) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
