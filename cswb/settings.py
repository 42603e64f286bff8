"""Settings for the CSWB Portal, read from the environment.

Every variable has a default that serves a laptop (SQLite, eager tasks, console mail); production
sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and EMAIL_URL. A malformed
value stops start-up with a message naming the variable (see ``cswb/lib/env.py``).
"""

import sys
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from cswb.lib.env import (
    env_bool,
    env_database,
    env_email,
    env_int,
    env_list,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the portal writes at run time on a laptop (SQLite file, uploads) lives here;
# the folder is git-ignored.
VAR_DIR = Path(env_str("CSWB_VAR_DIR", str(BASE_DIR / "var")))

VAR_DIR.mkdir(parents=True, exist_ok=True)

TESTING = "pytest" in sys.modules

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set it to a long random string, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    SECRET_KEY = "dev-only-insecure-key-" + "x" * 40  # noqa: S105 - laptop default only

# Old keys still accepted for signatures while a rotation is under way (see SECURITY.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for origin in CSRF_TRUSTED_ORIGINS:
    if not origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entry {origin!r} must start with https:// (or http://)."
        )

# The address the portal is reached at, used in links inside emails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with https:// or http://.")
# Behind a load balancer that sets X-Forwarded-For, rate limits count its last entry instead of
# the balancer's own address.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)
SITE_NAME = env_str("SITE_NAME", "Halton Community Safety and Well-Being")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "django_celery_beat",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "auditlog",
    "csp",
    # After auditlog, so that the admin's autodiscovery sees which models are audited.
    "cswb.apps.PortalAdminConfig",
    "cswb",
    "cswb.accounts",
    "cswb.outbox",
    "actiontables",
    "indicators",
    "grants",
    "issues",
    "open311",
    "plan",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "cswb.lib.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cswb.lib.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # A view that failed because the database is away answers 503, keeping a posted form.
    "cswb.lib.outage.DatabaseOutageMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during sign-in into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cswb.urls"
WSGI_APPLICATION = "cswb.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cswb.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'cswb.sqlite3'}"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    # First: refuses sign-in for a locked-out account or address before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff sign in with a password and a second factor (TOTP app or a recovery code). Tests turn
# this off by default so that force_login works; the sign-in tests turn it back on.
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Halton CSWB Portal")
RECOVERY_CODE_COUNT = 10

# django-axes: five failed sign-ins for one name from one address lock that pair; a name guessed
# from many addresses is locked once it reaches the higher per-name limit. The address is the one
# the rate limits use (TRUST_X_FORWARDED_FOR), so a load balancer's own address locks nobody out.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_USERNAME_FAILURE_LIMIT = env_int("AXES_USERNAME_FAILURE_LIMIT", 20, minimum=1)
if AXES_USERNAME_FAILURE_LIMIT < AXES_FAILURE_LIMIT:
    raise ImproperlyConfigured(
        f"AXES_USERNAME_FAILURE_LIMIT={AXES_USERNAME_FAILURE_LIMIT} must be at least "
        f"AXES_FAILURE_LIMIT={AXES_FAILURE_LIMIT}: it counts a name's failures from all addresses."
    )
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "cswb.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "cswb.lib.ratelimit.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REDIS_URL = env_redis_url("REDIS_URL")


def _redis_cache_url(broker_url: str) -> str:
    """Return the broker URL moved to the next Redis database, so clearing the cache never
    drops queued tasks."""
    head, _sep, tail = broker_url.partition("?")
    base, slash, db = head.rpartition("/")
    if slash and db.isdigit() and base.count("/") >= 2:
        head = f"{base}/{(int(db) + 1) % 16}"
    else:
        head = f"{head.rstrip('/')}/1"
    return head + (f"?{tail}" if tail else "")


# The shared cache (cached pages, rate limits): by default the database after the broker's on
# the same server; CACHE_URL puts it on a database or server of its own (see README). Timeouts
# come from its query string (?socket_timeout=0.25&socket_connect_timeout=0.25 by default).
CACHE_URL = env_redis_url("CACHE_URL") or (_redis_cache_url(REDIS_URL) if REDIS_URL else "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "cswb.lib.cache.PooledRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "cswb",
            "TIMEOUT": 600,
            # Seconds a process goes without the cache after it failed to answer.
            "OPTIONS": {"RETRY_SECONDS": env_int("CACHE_RETRY_SECONDS", 5, minimum=1)},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "cswb",
            "TIMEOUT": 600,
        }
    }

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in the calling process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A submission must not hang when the broker is away or frozen: connecting and each reply wait at
# most two seconds, once (no retry: a retry after kombu's 2 s pause made a frozen Redis cost a
# resident 6 s), and a web process that failed to reach it leaves the outbox sweep to queue its
# mail for BROKER_RETRY_SECONDS instead of waiting again (cswb/lib/tasks.py). The socket timeout
# stays above the worker's one-second BRPOP, which shares these options.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 0,
}
BROKER_RETRY_SECONDS = env_int("BROKER_RETRY_SECONDS", 10, minimum=1)
# How often beat's outbox sweep runs; it queues mail still pending this long after it was due (the
# broker was away when it was saved). Two sweeps bound the wait once Redis is back: a minute.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 30, minimum=1)
CELERY_TIMEZONE = "America/Toronto"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic tasks each app needs. Beat copies them into django-celery-beat's tables at start, where
# staff can see them, change their times or pause them in the admin.
CELERY_BEAT_SCHEDULE = {
    # outbox: release the claims of workers that stopped (a lease is at most
    # OUTBOX_LEASE_SECONDS) and queue mail the broker missed; a few indexed queries.
    "outbox-requeue-stale": {
        "task": "cswb.outbox.tasks.requeue_stale",
        "schedule": float(OUTBOX_SWEEP_SECONDS),
    },
    # Indicators: fetch the remote sources and recompute the dashboard once a day, at 9:15
    # Toronto time: after Statistics Canada's 8:30 release, so a table shows the day it is out.
    "indicators-nightly-refresh": {
        "task": "indicators.tasks.nightly_refresh",
        "schedule": crontab(hour=9, minute=15),
    },
    # Indicators: try again the sources whose table was being published.
    "indicators-retry-waiting-sources": {
        "task": "indicators.tasks.retry_waiting_sources",
        "schedule": 60 * 15.0,
    },
    # issues: remove residents' contact details once an issue has been closed long enough.
    "issues-remove-expired-contacts": {
        "task": "issues.tasks.remove_expired_contact_details",
        "schedule": 60 * 60 * 24.0,
    },
    # plan: remind administrators of the plan's deadlines; re-queue PDFs a dead worker left.
    "plan-daily": {
        "task": "plan.tasks.daily",
        "schedule": crontab(hour=7, minute=30),
    },
    # grants: delete drafts nobody has saved for GRANTS_DRAFT_EXPIRY_DAYS, with their files.
    "grants-expire-drafts": {
        "task": "grants.tasks.expire_drafts",
        "schedule": 60 * 60 * 24.0,
    },
    # grants: remind award contacts of reports coming due, tell staff about overdue ones.
    "grants-report-reminders": {
        "task": "grants.tasks.send_report_reminders",
        "schedule": 60 * 60 * 6.0,
    },
}

# Outgoing mail (cswb/outbox) and residents' issues (issues).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30, minimum=1)
# The longest a delivery run holds messages it claimed (cswb/outbox/services.py): a killed
# worker's mail waits this long plus one sweep interval (OUTBOX_SWEEP_SECONDS) before another
# worker sends it: a minute.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 30, minimum=2)
ISSUES_CONTACT_RETENTION_MONTHS = env_int("ISSUES_CONTACT_RETENTION_MONTHS", 24, minimum=1)
# Open311 GeoReport v2 (/open311/v2/): the jurisdiction served, and what discovery tells callers.
OPEN311_JURISDICTION_ID = env_str("OPEN311_JURISDICTION_ID", "halton.ca")
OPEN311_AGENCY = env_str("OPEN311_AGENCY", "Halton Region, Community Safety and Well-Being")
OPEN311_CONTACT = env_str(
    "OPEN311_CONTACT", "CSWB Team, Halton Region: cswb@halton.ca, or call 311"
)
OPEN311_KEY_SERVICE = env_str(
    "OPEN311_KEY_SERVICE",
    "Keys are given to 311 contact centres and partner systems: write to cswb@halton.ca",
)
# Grant drafts nobody saved for this many days are deleted with their files (the draft's
# private link lives as long, see cswb/lib/links.py).
GRANTS_DRAFT_EXPIRY_DAYS = env_int("GRANTS_DRAFT_EXPIRY_DAYS", 90, minimum=1)

EMAIL_CONFIG = env_email("EMAIL_URL")
globals().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Halton CSWB Portal <cswb@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if "@" not in DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured(
        f"DEFAULT_FROM_EMAIL={DEFAULT_FROM_EMAIL!r} is not an email address: use "
        "'Portal name <address@example.org>' or 'address@example.org'."
    )

LANGUAGE_CODE = "en-ca"
LANGUAGES = [("en-ca", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date and time style everywhere: "December 2, 2026, 2:40 p.m." (cswb/formats/en_CA).
FORMAT_MODULE_PATH = ["cswb.formats"]
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
# Files uploaded with applications are private: they live outside any public path and are served
# only through views that check permissions.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

# Indicators: data files (uploads and remote sources) over this size are refused, and a remote
# source that does not answer within the timeout (seconds) keeps its previous data.
INDICATORS_MAX_UPLOAD_BYTES = env_int("INDICATORS_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024
INDICATORS_FETCH_TIMEOUT = env_int("INDICATORS_FETCH_TIMEOUT", 30, minimum=1)
# Statistics Canada's Web Data Service: its address (tests point it at a local server) and how
# many requests a second the whole deployment may make (the service allows 25 per address).
STATCAN_WDS_URL = env_str("STATCAN_WDS_URL", "https://www150.statcan.gc.ca/t1/wds/rest/")
if not STATCAN_WDS_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"STATCAN_WDS_URL={STATCAN_WDS_URL!r} must start with https://.")
STATCAN_WDS_REQUESTS_PER_SECOND = env_int("STATCAN_WDS_REQUESTS_PER_SECOND", 5, minimum=1)
if STATCAN_WDS_REQUESTS_PER_SECOND > 20:
    raise ImproperlyConfigured("STATCAN_WDS_REQUESTS_PER_SECOND must stay well under Statistics "
                               "Canada's limit of 25 a second per address: use 20 or fewer.")
# Whole-table downloads (ZIP) over this size are refused.
STATCAN_TABLE_MAX_BYTES = env_int("STATCAN_TABLE_MAX_MB", 1024, minimum=1) * 1024 * 1024
# Open data: who publishes the catalogue (data.json) and whom to write to about it.
OPEN_DATA_PUBLISHER = env_str("OPEN_DATA_PUBLISHER", "Halton Region")
OPEN_DATA_CONTACT_EMAIL = env_str("OPEN_DATA_CONTACT_EMAIL", "cswb@halton.ca")
if "@" not in OPEN_DATA_CONTACT_EMAIL:
    raise ImproperlyConfigured(
        f"OPEN_DATA_CONTACT_EMAIL={OPEN_DATA_CONTACT_EMAIL!r} is not an email address."
    )

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 30, minimum=60)
SESSION_SAVE_EVERY_REQUEST = True  # the age above then counts from the last request
# However active, a staff session ends this long after sign-in (one working day by default).
SESSION_ABSOLUTE_AGE = env_int("SESSION_ABSOLUTE_AGE", 60 * 60 * 10, minimum=60)
# Largest request body accepted (grant attachments: 5 files of 10 MB; data files: 25 MB).
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_MB", 60, minimum=1) * 1024 * 1024
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content Security Policy: no inline scripts or styles anywhere; every asset comes from here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Audit trail (django-auditlog): every model is tracked except those listed, which hold no plan
# data or would copy secrets into the log.
AUDITLOG_INCLUDE_ALL_MODELS = True
AUDITLOG_EXCLUDE_TRACKING_MODELS = (
    "sessions",
    "contenttypes",
    "admin",
    "axes",
    "auditlog",
    "django_celery_beat.periodictasks",
    "django_celery_beat.solarschedule",
    "otp_totp",
    "otp_static",
    "outbox.message",
    "cswb.pageversion",  # a counter raised on every public change
    "actiontables.subscription",  # followers' email addresses stay out of the log
    "plan.reportpdf",  # the PDF's bytes; the report's own row records who published it
)
AUDITLOG_EXCLUDE_TRACKING_FIELDS = (
    "password", "last_login", "key", "token", "token_hash", "key_hash",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Residents' and applicants' private links never reach the log ("Not Found: /issues/...").
    "filters": {"redact_links": {"()": "cswb.lib.links.RedactLinksFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_links"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs every layout step at INFO; its warnings (an unsupported CSS rule, a
        # refused address) are what matters.
        "weasyprint": {"level": "WARNING"},
        # Through the root's filtered handler only: Django's own handlers (the debug console,
        # runserver's request log, mail to ADMINS) would print private links as they are.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "propagate": False},
    },
}

if TESTING:
    ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA", False)
    AXES_ENABLED = False  # the sign-in tests turn it on; elsewhere client.login needs no request
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tests start eager; the worker fixture switches a test to a real worker over Redis.
    CELERY_TASK_ALWAYS_EAGER = True
    STORAGES["default"]["OPTIONS"]["location"] = VAR_DIR / "test-media"
    PRIVATE_MEDIA_ROOT = VAR_DIR / "test-private"
