"""The benchmark's work inside Django, one subcommand per step; each prints one JSON line.

Run by bench/run.py with the bench's environment (never against another database):

    dataset small    50 resident issues and 50 grant applications (admin changelist baseline)
    dataset full     the large dataset, in bulk: 200 indicators x 6 geographies x 25 periods
                     (through the indicators import path, timed), 40 action tables with 20
                     updates each, 2,000 grant applications, 50,000 resident issues
    superuser        a new superuser with a confirmed TOTP device (prints the key to sign in)
    import           time the observation import path on a fresh file of 30,000 rows
    refresh          time the dashboard refresh service
    mail N           queue N outbox messages (message_queue), in batches of 50 per transaction

Rows are made with bulk_create, so no signals run: the page cache is invalidated once at the end.
A model that does not exist yet is skipped with a note.
"""

import csv
import io
import json
import os
import random
import secrets
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cswb.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

RNG = random.Random(20261121)
NOTES: list[str] = []
BATCH = 2000

INDICATORS = 200
PERIODS = 25
FIRST_YEAR = 2000
TABLES = 40
UPDATES_PER_TABLE = 20
APPLICATIONS = 2000
ISSUES = 50_000
SMALL = 50


def model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        NOTES.append(f"model {label} does not exist: not loaded")
        return None


def has_field(cls, name: str) -> bool:
    try:
        cls._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist
        return False
    return True


_first_cache: dict = {}


def first_of(cls):
    if cls not in _first_cache:
        _first_cache[cls] = cls._default_manager.order_by("pk").first()
    return _first_cache[cls]


def filler(field, i: int):
    """Return a plausible value for a required field the loader did not set."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.EmailField):
        return f"bench{i}@example.org"
    if isinstance(field, models.URLField):
        return "https://example.org/"
    if isinstance(field, models.SlugField):
        return f"bench-{field.model._meta.model_name}-{i}"[: field.max_length]
    if isinstance(field, models.CharField):
        return f"Bench {field.name} {i}"[: field.max_length]
    if isinstance(field, models.TextField):
        return f"Benchmark text {i}."
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, (models.IntegerField, models.FloatField)):
        return i + 1 if field.unique else 1
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.ForeignKey):
        return first_of(field.related_model)
    return None


def build(cls, i: int, **values):
    """Return an unsaved instance with ``values`` and every other required field filled."""
    values = {k: v for k, v in values.items() if has_field(cls, k)}
    for field in cls._meta.concrete_fields:
        if field.primary_key or field.name in values or field.attname in values:
            continue
        if field.null or field.has_default() or getattr(field, "auto_now", False) \
                or getattr(field, "auto_now_add", False):
            continue
        if field.blank and isinstance(field, (models.CharField, models.TextField)):
            continue
        values[field.name] = filler(field, i)
    return cls(**values)


def bulk(cls, objs, batch_size: int = BATCH) -> list:
    return cls.objects.bulk_create(objs, batch_size=batch_size)


def invalidate_pages() -> None:
    from cswb.lib.pagecache import bump_version

    with transaction.atomic():
        bump_version()
    try:
        from indicators.services import dashboard_invalidate

        dashboard_invalidate()
    except ImportError:
        pass


def municipalities():
    Geography = model("indicators.Geography")
    if Geography is None:
        return []
    found = list(Geography.objects.filter(level="municipality").order_by("pk"))
    if not found:
        NOTES.append("no municipalities in the reference data")
    return found


# --- action tables ---------------------------------------------------------------------------

def load_actiontables() -> dict:
    ActionTable = model("actiontables.ActionTable")
    Update = model("actiontables.ProgressUpdate")
    if ActionTable is None:
        return {}
    existing = ActionTable.objects.count()
    wanted = max(TABLES - existing, 0)
    Organization = model("actiontables.Organization")
    Lead = model("actiontables.ActionTableLead")
    orgs = list(Organization.objects.all()[:20]) if Organization else []
    if Organization and len(orgs) < 10:
        orgs += bulk(Organization, [
            build(Organization, i, name=f"Bench partner organization {i}", active=True)
            for i in range(10)
        ])
    tables = bulk(ActionTable, [
        build(ActionTable, i, name=f"Bench action table {i:02d}", slug=f"bench-table-{i:02d}",
              summary="A table made for the benchmark, working on community safety.",
              priority_issue="Benchmark priority", status="active",
              convened_on=date(2022, 1, 1) + timedelta(days=i))
        for i in range(wanted)
    ])
    if Lead and orgs:
        bulk(Lead, [build(Lead, i, table=t, organization=orgs[i % len(orgs)], order=0)
                    for i, t in enumerate(tables)])
    Zone = model("actiontables.Zone")
    if Zone:
        zones = list(Zone.objects.all())
        if zones:
            through = ActionTable.zones.through
            bulk(through, [through(actiontable_id=t.pk, zone_id=zones[i % len(zones)].pk)
                           for i, t in enumerate(tables)])
    updates = 0
    if Update:
        all_tables = list(ActionTable.objects.all())
        objs = []
        for t in all_tables:
            have = Update.objects.filter(table=t).count()
            for n in range(max(UPDATES_PER_TABLE - have, 0)):
                day = date(2024, 1, 1) + timedelta(days=n * 30 + t.pk % 30)
                objs.append(build(
                    Update, n, table=t, date=day, title=f"Progress at {t.name}, step {n + 1}",
                    body="What the table did this month, and what comes next.\n" * 3,
                    outcomes="Partners met\nA plan was agreed", status="published",
                    published_at=timezone.make_aware(datetime.combine(day, datetime.min.time())),
                ))
        updates = len(bulk(Update, objs))
    return {"action tables": ActionTable.objects.count(),
            "progress updates": Update.objects.count() if Update else 0,
            "_new_updates": updates}


# --- indicators ------------------------------------------------------------------------------

def make_indicators(count: int) -> list:
    Indicator = model("indicators.Indicator")
    Domain = model("indicators.Domain")
    if Indicator is None or Domain is None:
        return []
    domains = list(Domain.objects.all())
    if not domains:
        domains = bulk(Domain, [build(Domain, i, name=f"Bench domain {i}", slug=f"bench-d{i}")
                                for i in range(3)])
    have = Indicator.objects.filter(slug__startswith="bench-ind-").count()
    zones = [z for z, _l in Indicator._meta.get_field("zone").choices or []] or [""] \
        if has_field(Indicator, "zone") else [""]
    units = [u for u, _l in Indicator.Unit.choices] if hasattr(Indicator, "Unit") else ["count"]
    directions = ([d for d, _l in Indicator.Direction.choices]
                  if hasattr(Indicator, "Direction") else ["higher"])
    bulk(Indicator, [
        build(Indicator, i, domain=domains[i % len(domains)],
              name=f"Benchmark indicator {i:03d}", slug=f"bench-ind-{i:03d}",
              definition="A figure generated for the benchmark.", unit=units[i % len(units)],
              direction=directions[i % len(directions)], zone=zones[i % len(zones)],
              published=True, is_demo=True,
              order=i, source_name="Benchmark")
        for i in range(have, count)
    ])
    return list(Indicator.objects.filter(slug__startswith="bench-ind-").order_by("slug"))


def observation_csv(indicators, geographies, periods: int, offset: float = 0.0) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["indicator", "geography", "period", "value", "status"])
    for ind in indicators:
        base = 10 + (hash(ind.slug) % 90)
        for geo in geographies:
            for p in range(periods):
                value = base + (geo.pk % 7) + p * 0.3 + offset + RNG.random()
                writer.writerow([ind.slug, geo.code, FIRST_YEAR + p, f"{value:.2f}", "final"])
    return out.getvalue().encode()


def import_observations(data: bytes, rows: int) -> dict:
    try:
        from indicators.services import observations_import_file
    except ImportError:
        NOTES.append("indicators.services.observations_import_file does not exist: "
                     "observations were not loaded")
        return {"rows": 0, "seconds": 0, "rate": 0, "path": "missing"}
    t0 = time.perf_counter()
    report = observations_import_file(data, "bench-observations.csv")
    seconds = time.perf_counter() - t0
    written = getattr(report, "rows", rows)
    return {"rows": written, "seconds": round(seconds, 3),
            "rate": round(written / seconds) if seconds else 0,
            "path": "indicators.services.observations_import_file (CSV)"}


def load_indicators() -> dict:
    Geography = model("indicators.Geography")
    indicators = make_indicators(INDICATORS)
    geographies = list(Geography.objects.order_by("pk")) if Geography else []
    if len(geographies) != 6:
        NOTES.append(f"{len(geographies)} geographies in the reference data (6 expected)")
    result = {"indicators": len(indicators)}
    if indicators and geographies:
        rows = len(indicators) * len(geographies) * PERIODS
        result["_import"] = import_observations(
            observation_csv(indicators, geographies, PERIODS), rows)
        Observation = model("indicators.Observation")
        result["observations"] = Observation.objects.count() if Observation else 0
    return result


# --- grants ----------------------------------------------------------------------------------

def grant_round():
    Round = model("grants.Round")
    Fund = model("grants.Fund")
    if Round is None:
        return None
    found = Round.objects.order_by("-opens_at").first()
    if found:
        return found
    fund = Fund.objects.first() or Fund.objects.create(
        name="Bench fund", slug="bench-fund", funder="Benchmark", total_allocation=10**8,
        starts_on=date(2024, 4, 1), ends_on=date(2028, 3, 31))
    now = timezone.now()
    return Round.objects.create(
        fund=fund, name="Bench round", slug="bench-round", opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30), funding_year=now.year,
        program_starts_on=date(now.year, 4, 1), program_ends_on=date(now.year + 1, 3, 31),
        amount_available=10**7)


def load_applications(count: int, start: int = 0) -> dict:
    Application = model("grants.Application")
    Award = model("grants.Award")
    Counter = model("grants.ReferenceCounter")
    if Application is None:
        return {}
    rnd = grant_round()
    if rnd is None:
        NOTES.append("no grant round: applications not loaded")
        return {}
    states = [s for s, _l in Application._meta.get_field("state").choices]
    funded = [s for s in ("approved", "reporting", "closed") if s in states]
    munis = municipalities()
    objs = []
    year = 2019  # references of past years, so new submissions never collide with them
    for i in range(start, start + count):
        state = states[i % len(states)]
        submitted = None if state == "draft" else timezone.now() - timedelta(days=1 + i % 700)
        objs.append(build(
            Application, i, round=rnd, state=state,
            reference=None if state == "draft" else f"BSC-{year}-{i + 1:04d}",
            org_legal_name=f"Benchmark Community Organization {i}", org_type="nonprofit",
            contact_name=f"Contact {i}", contact_email=f"applicant{i}@example.org",
            program_title=f"Youth program {i}", program_summary="After-school mentoring.",
            duration_years=1 + i % 2, amount_requested=Decimal(20000 + i % 50 * 1000),
            declare_accurate=True, declare_authority=True, declare_privacy=True,
            publish_consent=True, created_at=(submitted or timezone.now()) - timedelta(days=3),
            submitted_at=submitted,
        ))
    apps_made = bulk(Application, objs)
    if munis:
        through = Application.municipalities.through
        bulk(through, [through(application_id=a.pk, geography_id=munis[n % len(munis)].pk)
                       for n, a in enumerate(apps_made)])
    if Award is not None and funded:
        fund = rnd.fund
        bulk(Award, [build(Award, n, application=a, fund=fund,
                           amount=Decimal(15000 + n % 40 * 500), years=a.duration_years or 1)
                     for n, a in enumerate(apps_made) if a.state in funded])
    if Counter is not None:
        Counter.objects.update_or_create(year=year, defaults={"last": start + count + 1})
    return {"grant applications": Application.objects.count(),
            "awards": Award.objects.count() if Award else 0, "_funding_year": rnd.funding_year}


def staff_users(count: int) -> list:
    """Return ``count`` staff accounts that issues can be assigned to (made once)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    have = list(User.objects.filter(username__startswith="bench-staff-").order_by("pk"))
    made = []
    for n in range(len(have), count):
        user = build(User, n, username=f"bench-staff-{n}", email=f"bench-staff-{n}@example.org",
                     is_staff=True, is_active=True)
        user.set_unusable_password()
        made.append(user)
    return have + bulk(User, made)


# --- issues ----------------------------------------------------------------------------------

def load_issues(count: int, start: int = 0) -> dict:
    Issue = model("issues.Issue")
    Counter = model("issues.ReferenceCounter")
    if Issue is None:
        return {}
    munis = municipalities()
    if not munis:
        return {}
    ActionTable = model("actiontables.ActionTable")
    tables = list(ActionTable.objects.order_by("pk")[:40]) if ActionTable else []
    staff = staff_users(5)
    topics = [t for t, _l in Issue._meta.get_field("topic").choices]
    states = [s for s, _l in Issue._meta.get_field("status").choices]
    first_year = 2021
    per_year = 10_000
    made = 0
    for chunk_start in range(start, start + count, 10_000):
        objs = []
        for i in range(chunk_start, min(chunk_start + 10_000, start + count)):
            year = first_year + i // per_year
            number = i % per_year + 1
            submitted = timezone.make_aware(datetime(year, 1, 1)) + timedelta(
                minutes=(i % per_year) * 50)
            state = states[i % len(states)]
            named = i % 3 == 0
            closed = state in ("closed", "spam", "responded")
            objs.append(build(
                Issue, i, reference=f"CSWB-{year}-{number:05d}", year=year, number=number,
                follow_key=uuid.uuid4(), topic=topics[i % len(topics)],
                municipality=munis[i % len(munis)],
                description=f"Benchmark issue {i}: a concern a resident raised about safety "
                            "near a park in the evening.",
                anonymous=not named, name=f"Resident {i}" if named else "",
                email=f"resident{i}@example.org" if named else "",
                consent_to_contact=named, status=state, submitted_at=submitted,
                first_response_at=submitted + timedelta(days=2) if state != "new" else None,
                action_table=tables[i % len(tables)] if state == "referred" and tables else None,
                assigned_to=staff[i % len(staff)] if state != "new" and staff else None,
                closed_at=submitted + timedelta(days=9) if closed else None,
            ))
        made += len(bulk(Issue, objs))
    if Counter is not None:
        last = start + count
        for year in range(first_year, first_year + (last - 1) // per_year + 1):
            top = min(per_year, last - (year - first_year) * per_year)
            Counter.objects.update_or_create(year=year, defaults={"last": top})
    return {"resident issues": Issue.objects.count(), "_new": made}


# --- pages and admin -------------------------------------------------------------------------

def admin_paths() -> dict:
    found = {}
    for label, name in (("issues.Issue", "resident issues"),
                        ("grants.Application", "grant applications")):
        cls = model(label)
        if cls is None:
            continue
        try:
            found[name] = reverse(
                f"admin:{cls._meta.app_label}_{cls._meta.model_name}_changelist")
        except NoReverseMatch:
            NOTES.append(f"{label} is not in the admin")
    return found


def public_pages(funding_year=None) -> list:
    pages = []

    def add(name, target, url_name=None, args=(), path=None):
        try:
            pages.append((name, path or reverse(url_name, args=args), target))
        except NoReverseMatch:
            NOTES.append(f"no URL {url_name}: {name} not measured")

    add("home", 0.5, "home")
    add("action tables index", 0.5, "actiontables:index")
    ActionTable = model("actiontables.ActionTable")
    table = ActionTable and (ActionTable.objects.public().order_by("name").first()
                             if hasattr(ActionTable.objects, "public")
                             else ActionTable.objects.first())
    if table:
        add("action table page", 0.5, path=table.get_absolute_url())
    add("dashboard overview", 0.5, "indicators:overview")
    Indicator = model("indicators.Indicator")
    indicator = Indicator and Indicator.objects.filter(published=True).order_by("slug").first()
    if indicator:
        add("indicator page", 0.5, path=indicator.get_absolute_url())
    add("grants page", 0.5, "grants:index")
    if funding_year:
        add("funded programs page", 0.5, "grants:funded", args=[funding_year])
    # A form: each copy carries its own CSRF token and start time (the 20% target for forms).
    add("issue form (a form)", 0.2, "issues:create")
    return pages


def cmd_dataset(kind: str) -> dict:
    t0 = time.perf_counter()
    counts: dict = {}
    extra: dict = {}
    if kind == "small":
        with transaction.atomic():
            counts.update(load_issues(SMALL))
            counts.update(load_applications(SMALL))
    else:
        with transaction.atomic():
            counts.update(load_actiontables())
        counts.update(load_indicators())
        with transaction.atomic():
            Issue = model("issues.Issue")
            have = Issue.objects.count() if Issue else 0
            counts.update(load_issues(ISSUES - have, start=have))
            Application = model("grants.Application")
            have = Application.objects.count() if Application else 0
            counts.update(load_applications(APPLICATIONS - have, start=have))
    invalidate_pages()
    if kind == "full" and connection.vendor == "postgresql":
        # What autovacuum would do soon after such a load, done now so that it does not run
        # in the middle of a measurement; the planner then knows the tables' sizes.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    for key in [k for k in counts if k.startswith("_")]:
        extra[key[1:]] = counts.pop(key)
    result = {"counts": counts, "seconds": round(time.perf_counter() - t0, 1),
              "admin_paths": admin_paths()}
    if kind == "full":
        from cswb.lib import forms as lib_forms

        result["pages"] = public_pages(extra.get("funding_year"))
        try:
            result["submit_path"] = reverse("issues:create")
        except NoReverseMatch:
            NOTES.append("no URL issues:create: issue submission not measured")
            result["submit_path"] = None
        result["min_fill_seconds"] = lib_forms.MIN_FILL_SECONDS
        result["import"] = extra.get("import")
    result["notes"] = NOTES
    return result


def cmd_superuser() -> dict:
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    username = f"bench-admin-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(16)
    user = get_user_model().objects.create_superuser(
        username=username, email=f"{username}@example.org", password=password)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    return {"username": username, "password": password, "totp_key": device.key}


def cmd_import() -> dict:
    """Time the import path on a second file: 30,000 rows that all update existing ones."""
    Geography = model("indicators.Geography")
    indicators = make_indicators(INDICATORS)
    geographies = list(Geography.objects.order_by("pk")) if Geography else []
    if not indicators or not geographies:
        return {"rows": 0, "seconds": 0, "rate": 0, "path": "missing", "note": "; ".join(NOTES)}
    data = observation_csv(indicators, geographies, PERIODS, offset=0.5)
    result = import_observations(data, len(indicators) * len(geographies) * PERIODS)
    return result


def cmd_refresh() -> dict:
    try:
        from indicators.services import dashboard_refresh
    except ImportError:
        return {"seconds": 0, "path": "missing",
                "note": "indicators.services.dashboard_refresh does not exist"}
    t0 = time.perf_counter()
    outcome = dashboard_refresh()
    seconds = time.perf_counter() - t0
    detail = ""
    if outcome is not None:
        detail = (f"{getattr(outcome, 'indicators', '?')} indicators, "
                  f"{getattr(outcome, 'failures', '?')} failures")
    return {"seconds": round(seconds, 3), "path": "indicators.services.dashboard_refresh",
            "detail": detail}


def cmd_mail(count: int) -> dict:
    from cswb.outbox.services import message_queue

    started = time.time()
    t0 = time.perf_counter()
    for first in range(0, count, 50):
        with transaction.atomic():
            for i in range(first, min(first + 50, count)):
                message_queue(to=f"bench{i}@example.org", template="test-message",
                              context={"name": f"Bench {i}"}, kind="bench.mail",
                              dedupe_key=f"bench:{started}:{i}")
    return {"queued": count, "started": started, "seconds": round(time.perf_counter() - t0, 3)}


def main(argv: list[str]) -> int:
    command, *rest = argv or ["help"]
    if command == "dataset":
        result = cmd_dataset(rest[0] if rest else "full")
    elif command == "superuser":
        result = cmd_superuser()
    elif command == "import":
        result = cmd_import()
    elif command == "refresh":
        result = cmd_refresh()
    elif command == "mail":
        result = cmd_mail(int(rest[0]) if rest else 500)
    else:
        print(__doc__)
        return 2
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
