"""Production-only checks, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from cswb.lib.demo import REMOVE_COMMAND, demo_counts


@register(Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    """Warn when a production deployment would fall back to the laptop defaults."""
    problems = []
    if not settings.REDIS_URL:
        problems.append(
            Warning(
                "REDIS_URL is not set: tasks run inside web requests and the cache is per process.",
                hint="Set REDIS_URL=redis://host:6379/0 and run a Celery worker and beat.",
                id="cswb.W001",
            )
        )
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        problems.append(
            Warning(
                "EMAIL_URL is not set: mail is printed instead of sent.",
                hint="Set EMAIL_URL=smtp+tls://user:password@mail.example.org:587.",
                id="cswb.W002",
            )
        )
    if not settings.SITE_URL.startswith("https://"):
        problems.append(
            Warning(
                "SITE_URL does not start with https://: links in emails would not be secure.",
                hint="Set SITE_URL=https://cswb.example.org.",
                id="cswb.W003",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "DATABASE_URL points at SQLite, which does not suit several web processes.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/cswb.",
                id="cswb.W004",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_demonstration_rows(app_configs, **kwargs):
    """Warn when made-up rows (``load_reference_data --demo``) are served with DEBUG off.

    Queries the database (one count per flagged model); says nothing when it cannot be reached
    or is not migrated yet, as before the first ``migrate`` of a new install.
    """
    if settings.DEBUG:
        return []
    try:
        counts = demo_counts()
    except DatabaseError:
        return []
    if not counts:
        return []
    found = ", ".join(
        f"{count} {model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural}"
        for model, count in sorted(counts.items(), key=lambda item: item[0]._meta.label)
    )
    return [
        Warning(
            f"The database holds demonstration rows, made up for trying the portal: {found}.",
            hint=f"Run `{REMOVE_COMMAND}` to delete them and what depends only on them.",
            id="cswb.W005",
        )
    ]
