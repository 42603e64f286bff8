"""Read settings from the environment, failing loudly on values that cannot be right.

Each helper raises ``ImproperlyConfigured`` with the variable's name and the expected form, so a
typo in a deployment stops start-up with a message instead of running with a silent default.
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return the boolean in ``name``; refuse anything but true/false words."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list, ignoring blanks around the commas."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict:
    """Return a Django DATABASES entry for the URL in ``name``."""
    url = os.environ.get(name) or default
    expected = (
        f"{name} must look like postgres://user:password@host:5432/dbname "
        "or sqlite:////absolute/path/to/file.sqlite3"
    )
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(f"{name}={url!r} is not supported. {expected}.")
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name}={url!r} could not be read ({exc}). {expected}."
        ) from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={url!r} names no database. {expected}.")
    if scheme != "sqlite":
        # A PostgreSQL that is down or frozen costs a request a few seconds, never a worker's
        # whole timeout; ?connect_timeout= in the URL wins. CONN_HEALTH_CHECKS (above) drops a
        # connection a restart broke at the next request, so no process needs restarting.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    if scheme == "sqlite":
        config["CONN_MAX_AGE"] = 0
        # IMMEDIATE: two processes writing at once wait for each other instead of failing.
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    return config


def env_redis_url(name: str) -> str:
    """Return the Redis URL in ``name`` or an empty string when it is unset."""
    url = os.environ.get(name, "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    try:
        valid = parts.scheme in {"redis", "rediss"} and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a Redis URL: use redis://host:6379/0 "
            "(or rediss:// for TLS)."
        )
    return url


def env_email(name: str, default: str = "console:") -> dict:
    """Return email settings for the URL in ``name``.

    Accepted forms: ``console:``, ``locmem:``, ``dummy:``, ``smtp://user:pass@host:port``,
    ``smtp+tls://...`` (STARTTLS) and ``smtps://...`` (implicit TLS).
    """
    url = os.environ.get(name) or default
    parts = urlsplit(url)
    backends = {
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if parts.scheme in backends:
        return {"EMAIL_BACKEND": backends[parts.scheme]}
    expected = (
        f"{name} must be console:, locmem:, dummy:, smtp://host:port, "
        "smtp+tls://user:password@host:587 or smtps://user:password@host:465"
    )
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ImproperlyConfigured(f"{name}={url!r} is not supported. {expected}.")
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}={url!r} has a bad port. {expected}.") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name}={url!r} names no host. {expected}.")
    query = parse_qs(parts.query)
    timeout = query.get("timeout", ["10"])[0]
    try:
        timeout_seconds = float(timeout)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: timeout={timeout!r} is not a number.") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_TIMEOUT": timeout_seconds,
    }
