"""Production-only checks, run by ``manage.py check --deploy``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
