"""Benchmark the Statistics Canada sources: `make bench` runs it (or `.venv/bin/python
bench/statcan_bench.py`).

1. A full-table CSV of 2,000,000 rows in Statistics Canada's documented layout, zipped as
   getFullTableDownloadCSV serves it, is fetched through a whole-table source from a local
   stand-in of the Web Data Service, filtered to Halton's and Ontario's rows and imported.
   The fetch runs in a child process whose peak memory (ru_maxrss) is reported with its time.
   Targets: under 60 s and under 250 MB.
2. 20 chosen-series sources over 10 tables of realistic size are fetched from the same stand-in:
   the first fetch (members resolved to coordinates and vectors, then the data) and a second
   one (tables unchanged). Target: under 10 s, with the default throttle
   (STATCAN_WDS_REQUESTS_PER_SECOND=5).

Uses a SQLite database in a temporary folder unless DATABASE_URL is set. Prints a table and,
with BENCH_OUT, writes it there too.
"""

import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
ROWS = int(os.environ.get("BENCH_STATCAN_ROWS", "2000000"))
PRODUCT_ID = 35100180
HEADER = ["REF_DATE", "GEO", "DGUID", "Violations", "Statistics", "UOM", "UOM_ID",
          "SCALAR_FACTOR", "SCALAR_ID", "VECTOR", "COORDINATE", "VALUE", "STATUS", "SYMBOL",
          "TERMINATED", "DECIMALS"]
YEARS = list(range(1998, 2023))  # 25 years
STATISTICS = ["Actual incidents", "Rate per 100,000 population", "Percentage change in rate",
              "Total, persons charged"]
TARGET_IMPORT_SECONDS, TARGET_IMPORT_MB, TARGET_FETCH_SECONDS = 60, 250, 10


def setup_django(var_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")
    os.environ.setdefault("CSWB_VAR_DIR", str(var_dir))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'bench.sqlite3'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def write_table(path: Path) -> dict:
    """Write the ZIP: ROWS rows over places x violations x statistics x years."""
    places = [("Ontario", "2021A000235"), ("Halton Region", "2021A00033524")]
    violations_count = 100
    per_place = violations_count * len(STATISTICS) * len(YEARS)
    for n in range(max(ROWS // per_place - len(places), 0)):
        places.append((f"Police service {n}, Ontario, municipal [{35100 + n}]", ""))
    violations = ["Total, all violations [0]"] + [f"Violation {n} [{1000 + n}]"
                                                  for n in range(violations_count - 1)]
    written = 0
    started = time.monotonic()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(f"{PRODUCT_ID}.csv", "w", force_zip64=True) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            text.write("\ufeff")
            writer = csv.writer(text, quoting=csv.QUOTE_ALL)
            writer.writerow(HEADER)
            for p, (geo, dguid) in enumerate(places):
                for v, violation in enumerate(violations):
                    for s, statistic in enumerate(STATISTICS):
                        coordinate = f"{p + 1}.{v + 1}.{s + 1}"
                        for year in YEARS:
                            if written >= ROWS:
                                break
                            writer.writerow([
                                year, geo, dguid, violation, statistic, "Rate", "257",
                                "units", "0", f"v{10_000_000 + written // len(YEARS)}",
                                coordinate, f"{(written % 9973) / 7:.2f}", "", "", "", "2",
                            ])
                            written += 1
            text.flush()
            text.detach()
        archive.writestr(f"{PRODUCT_ID}_MetaData.csv", '"Cube Title"\n"Bench"\n')
    return {"rows": written, "zip_mb": round(path.stat().st_size / 1024 / 1024, 1),
            "seconds": round(time.monotonic() - started, 1)}


def child_import(wds_url: str) -> None:
    """In a fresh process: fetch the whole-table source once and print time and peak memory."""
    from django.conf import settings

    from indicators import services
    from indicators.models import RemoteSource

    settings.STATCAN_WDS_URL = wds_url
    source = RemoteSource.objects.get(name="bench whole table")
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()
    outcome = services.sources_fetch([source.pk], force=True)[0]
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak_mb, 1),
                      "start_mb": round(before_mb, 1), "status": outcome.status,
                      "message": outcome.message}))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        setup_django(Path(os.environ["CSWB_VAR_DIR"]))
        child_import(sys.argv[2])
        return 0
    var_dir = Path(tempfile.mkdtemp(prefix="cswb-statcan-bench-"))
    setup_django(var_dir)
    from django.conf import settings
    from django.core.management import call_command

    from indicators import services
    from indicators.models import Domain, Indicator, RemoteSource
    from indicators.reference import load_domains, load_geographies
    from indicators.tests.wds import FakeWds, Table, member, point

    call_command("migrate", verbosity=0)
    load_geographies()
    load_domains()
    domain = Domain.objects.first()
    lines = []

    # 1. Whole table, streamed.
    server = FakeWds()
    zip_path = var_dir / f"{PRODUCT_ID}-eng.zip"
    made = write_table(zip_path)
    server.zips[PRODUCT_ID] = zip_path.read_bytes()
    server.add(Table(PRODUCT_ID, "Incident-based crime statistics (bench)", [
        ("Geography", [member(1, "Ontario", "35")]),
    ]))
    rate = Indicator.objects.create(domain=domain, slug="bench-crime-rate", name="Crime rate",
                                    unit="rate_100000", direction="lower", published=True)
    RemoteSource.objects.create(
        name="bench whole table", indicator=rate, layout=RemoteSource.Layout.WDS_TABLE,
        table="35-10-0180-01", mapping={"filters": {
            "Violations": "Total, all violations [0]",
            "Statistics": "Rate per 100,000 population"}})
    env = {**os.environ, "CSWB_VAR_DIR": str(var_dir)}
    result = subprocess.run([sys.executable, __file__, "child", server.url], env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        return 1
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    kept = rate.observations.count()
    ok = (imported["status"] == "new" and imported["seconds"] < TARGET_IMPORT_SECONDS
          and imported["peak_mb"] < TARGET_IMPORT_MB)
    lines.append(f"Whole-table fetch: {made['rows']:,} rows ({made['zip_mb']} MB ZIP, written in "
                 f"{made['seconds']} s), {kept} observations kept (Halton and Ontario)")
    lines.append(f"  download + unzip + filter + import: {imported['seconds']:.1f} s "
                 f"(target < {TARGET_IMPORT_SECONDS} s), peak memory of the process "
                 f"{imported['peak_mb']:.0f} MB (target < {TARGET_IMPORT_MB} MB; "
                 f"{imported['start_mb']:.0f} MB before the fetch): "
                 f"{'OK' if ok else 'MISSED'}")
    lines.append(f"  outcome: {imported['message']}")

    # 2. Twenty chosen-series sources over ten tables.
    server.calls.clear()
    geography = [member(1, "Ontario", "35"),
                 member(2, "Halton Region, Ontario, municipal [35048]")]
    geography += [member(10 + n, f"Police service {n}, Ontario, municipal [{35200 + n}]")
                  for n in range(300)]
    statistics = [member(s, f"Statistic {s}") for s in range(1, 51)]
    for t in range(10):
        table = server.add(Table(35100300 + t, f"Bench table {t}",
                                 [("Geography", geography), ("Statistics", statistics)]))
        for g in (1, 2):
            for s in (1, 2):
                table.cell([g, s], 900_000 + t * 100 + g * 10 + s,
                           [point(year, f"{year % 97}.5") for year in YEARS])
    sources = []
    for t in range(10):
        for s in (1, 2):
            indicator = Indicator.objects.create(
                domain=domain, slug=f"bench-{t}-{s}", name=f"Bench {t} {s}", unit="index",
                direction="lower", published=True)
            sources.append(RemoteSource.objects.create(
                name=f"bench series {t}-{s}", indicator=indicator,
                layout=RemoteSource.Layout.WDS_SERIES, table=f"35-10-{300 + t:04d}-01",
                mapping={"members": {"Statistics": f"Statistic {s}"},
                         "geographies": {"halton": "Halton Region*", "ontario": "code:35"}}))
    settings.STATCAN_WDS_URL = server.url
    ids = [source.pk for source in sources]
    started = time.monotonic()
    first = services.sources_fetch(ids)
    first_seconds = time.monotonic() - started
    first_calls = len(server.calls)
    started = time.monotonic()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        second = profiler.runcall(services.sources_fetch, ids)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        second = services.sources_fetch(ids)
    second_seconds = time.monotonic() - started
    statuses = sorted({o.status for o in first}), sorted({o.status for o in second})
    ok = first_seconds < TARGET_FETCH_SECONDS and statuses == (["new"], ["unchanged"])
    lines.append(f"WDS fetch of {len(ids)} sources over 10 tables (300+ members each), "
                 f"throttle {settings.STATCAN_WDS_REQUESTS_PER_SECOND}/s:")
    lines.append(f"  first fetch (resolve members, vectors, data): {first_seconds:.2f} s in "
                 f"{first_calls} requests, {sum(o.rows for o in first)} rows, "
                 f"outcomes {statuses[0]} (target < {TARGET_FETCH_SECONDS} s): "
                 f"{'OK' if ok else 'MISSED'}")
    lines.append(f"  second fetch (tables unchanged): {second_seconds:.2f} s in "
                 f"{len(server.calls) - first_calls} requests, outcomes {statuses[1]}")
    server.stop()
    report = "\n".join(lines)
    print(report)
    if os.environ.get("BENCH_OUT"):
        Path(os.environ["BENCH_OUT"]).write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
