"""Benchmark the indicators app: imports, the dashboard refresh and page rendering.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cswb_indicators_bench \
        .venv/bin/python bench/indicators_bench.py [--rows 100000]

Each measurement runs in its own process so that its peak memory (maximum resident set size) is
its own. Figures printed:
- import of N observations from a CSV file through the project's own path (read, validate every
  row, bulk upsert in one transaction), through the admin's django-import-export resource (dry
  run = preview, then the real import), and a plain ``bulk_create`` of the same rows;
- the refresh over 200 indicators x 6 geographies x 25 periods;
- the overview and an indicator page rendered by Django's test client, cold (cache cleared) and
  warm (served from the cache), as a first indication; the whole-portal benchmark measures
  gunicorn throughput.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
INDICATORS = 200
GEOGRAPHIES = 6
REFRESH_PERIODS = 25


def setup_django():
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_database():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database, e.g. "
              "postgres://postgres@127.0.0.1:5432/cswb_indicators_bench", file=sys.stderr)
        sys.exit(2)
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR, capture_output=True, text=True, env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    if result.returncode:
        # Another app's post-migrate hook may complain while the portal is being built; the
        # indicators tables are what this benchmark needs.
        print("note: migrate reported: " + result.stderr.strip().splitlines()[-1],
              file=sys.stderr)


def reset(*, indicators: int):
    """Empty the indicators tables and create the geographies, one domain and N indicators."""
    from django.db import connection

    from indicators.models import Domain, Indicator
    from indicators.reference import load_geographies

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE indicators_observation, indicators_indicatorsummary, "
            "indicators_remotesource, indicators_indicator, indicators_domain, "
            "indicators_dashboardstate CASCADE"
        )
    load_geographies()
    domain = Domain.objects.create(name="Bench", slug="bench")
    directions = ["lower", "higher", "neutral"]
    Indicator.objects.bulk_create([
        Indicator(domain=domain, name=f"Indicator {n}", slug=f"ind-{n}", unit="percent",
                  decimals=1, direction=directions[n % 3], published=True, order=n)
        for n in range(indicators)
    ])


def rows(count: int, periods: int | None = None):
    """Yield (indicator slug, geography code, period, value) for ``count`` observations."""
    from indicators.models import Geography

    codes = list(Geography.objects.values_list("code", flat=True))
    periods = periods or -(-count // (INDICATORS * GEOGRAPHIES))
    made = 0
    for n in range(INDICATORS):
        for code in codes:
            for p in range(periods):
                if made == count:
                    return
                yield f"ind-{n}", code, str(2024 - periods + p), f"{(n * 7 + p * 3) % 97 + 0.5}"
                made += 1


def csv_file(count: int) -> bytes:
    lines = ["indicator,geography,period,value,status"]
    lines += [f"{i},{g},{p},{v}," for i, g, p, v in rows(count)]
    return ("\n".join(lines) + "\n").encode()


def phase_own(count: int) -> dict:
    from indicators.services import observations_import_file

    reset(indicators=INDICATORS)
    data = csv_file(count)
    started = time.perf_counter()
    report = observations_import_file(data, "bench.csv")
    elapsed = time.perf_counter() - started
    return {"rows": report.rows, "seconds": elapsed, "peak_mb": peak_mb()}


def phase_importexport(count: int) -> dict:
    import tablib

    from indicators.resources import ObservationResource

    reset(indicators=INDICATORS)
    data = csv_file(count).decode()
    started = time.perf_counter()
    dataset = tablib.Dataset().load(data, format="csv")
    preview = ObservationResource().import_data(dataset, dry_run=True)
    dry = time.perf_counter() - started
    assert not preview.has_errors() and not preview.has_validation_errors()
    dataset = tablib.Dataset().load(data, format="csv")
    second = time.perf_counter()
    result = ObservationResource().import_data(dataset, dry_run=False, use_transactions=True)
    real = time.perf_counter() - second
    assert not result.has_errors() and not result.has_validation_errors()
    return {"rows": count, "dry_seconds": dry, "seconds": real, "peak_mb": peak_mb()}


def phase_bulk(count: int) -> dict:
    from indicators.models import Geography, Indicator, Observation

    reset(indicators=INDICATORS)
    indicators = dict(Indicator.objects.values_list("slug", "pk"))
    geographies = dict(Geography.objects.values_list("code", "pk"))
    source = list(rows(count))
    started = time.perf_counter()
    Observation.objects.bulk_create(
        [Observation(indicator_id=indicators[i], geography_id=geographies[g], period=p,
                     period_start=int(p), period_end=int(p), value=v, status="final")
         for i, g, p, v in source],
        batch_size=2000,
    )
    elapsed = time.perf_counter() - started
    return {"rows": count, "seconds": elapsed, "peak_mb": peak_mb()}


def _refresh_dataset():
    from indicators.importing import RowCleaner, clean_rows, observations_write

    reset(indicators=INDICATORS)
    raw = ((n, {"indicator": i, "geography": g, "period": p, "value": v})
           for n, (i, g, p, v) in enumerate(
               rows(INDICATORS * GEOGRAPHIES * REFRESH_PERIODS, periods=REFRESH_PERIODS), 2))
    observations_write(clean_rows(raw, RowCleaner()))


def phase_refresh(count: int) -> dict:
    from indicators.models import Observation
    from indicators.services import dashboard_refresh

    _refresh_dataset()
    times = []
    for _round in range(3):
        started = time.perf_counter()
        result = dashboard_refresh()
        times.append(time.perf_counter() - started)
    return {"observations": Observation.objects.count(), "indicators": result.indicators,
            "failures": result.failures, "seconds": statistics.median(times),
            "peak_mb": peak_mb()}


def phase_pages(count: int) -> dict:
    from django.core.cache import cache
    from django.test import Client

    from cswb.lib.pagecache import local_pages
    from indicators.services import dashboard_refresh

    _refresh_dataset()
    dashboard_refresh()
    client = Client(HTTP_HOST="127.0.0.1")
    figures = {}
    for name, url in (("overview", "/dashboard/"), ("indicator", "/dashboard/indicators/ind-7/")):
        cold = []
        for _n in range(10):
            cache.clear()
            local_pages.clear()  # this process's copies too: measure a cold render
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            cold.append(time.perf_counter() - started)
        warm = []
        for _n in range(200):
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            warm.append(time.perf_counter() - started)
        figures[name] = {"cold_ms": statistics.median(cold) * 1000,
                         "warm_ms": statistics.median(warm) * 1000}
    return figures


PHASES = {"own": phase_own, "importexport": phase_importexport, "bulk": phase_bulk,
          "refresh": phase_refresh, "pages": phase_pages}


def run_phase(name: str, count: int) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--rows", str(count)],
        cwd=BASE_DIR, capture_output=True, text=True, env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    if result.returncode:
        raise SystemExit(f"phase {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--phase", choices=sorted(PHASES))
    args = parser.parse_args()
    if args.phase:
        setup_django()
        print(json.dumps(PHASES[args.phase](args.rows)))
        return
    ensure_database()
    n = args.rows
    print(f"indicators benchmark on {urlsplit(os.environ['DATABASE_URL']).path.lstrip('/')}, "
          f"redis={'yes' if os.environ.get('REDIS_URL') else 'no'}")
    bulk = run_phase("bulk", n)
    own = run_phase("own", n)
    iex = run_phase("importexport", n)
    bulk_rate = bulk["rows"] / bulk["seconds"]
    own_rate = own["rows"] / own["seconds"]
    iex_rate = iex["rows"] / iex["seconds"]
    print(f"\nImport of {n:,} observations")
    print(f"  plain bulk_create (objects prebuilt) : {bulk_rate:9,.0f} rows/s  "
          f"{bulk['seconds']:6.2f} s  peak {bulk['peak_mb']:5.0f} MB")
    print(f"  project's import path (CSV file)     : {own_rate:9,.0f} rows/s  "
          f"{own['seconds']:6.2f} s  peak {own['peak_mb']:5.0f} MB  "
          f"ratio to bulk_create {own_rate / bulk_rate:.2f}")
    print(f"  admin import-export resource, import : {iex_rate:9,.0f} rows/s  "
          f"{iex['seconds']:6.2f} s  peak {iex['peak_mb']:5.0f} MB  "
          f"ratio to bulk_create {iex_rate / bulk_rate:.2f}")
    print(f"  admin import-export resource, preview: {n / iex['dry_seconds']:9,.0f} rows/s  "
          f"{iex['dry_seconds']:6.2f} s (dry run, rolled back)")
    refresh = run_phase("refresh", n)
    print(f"\nRefresh over {refresh['indicators']} indicators x {GEOGRAPHIES} geographies x "
          f"{REFRESH_PERIODS} periods ({refresh['observations']:,} observations): "
          f"{refresh['seconds']:.2f} s (median of 3), {refresh['failures']} failures, "
          f"peak {refresh['peak_mb']:.0f} MB")
    pages = run_phase("pages", n)
    print("\nPages through Django's test client (same dataset; median)")
    for name, figures in pages.items():
        print(f"  {name:9}: cold {figures['cold_ms']:7.1f} ms   warm {figures['warm_ms']:6.2f} ms")


if __name__ == "__main__":
    main()
