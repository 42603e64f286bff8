import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cswb.lib import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def environ(monkeypatch):
    def set_vars(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_vars


def test_it_reads_boolean_words(environ):
    environ(A="yes", B="off", C="1")
    assert env.env_bool("A", False) is True
    assert env.env_bool("B", True) is False
    assert env.env_bool("C", False) is True
    assert env.env_bool("UNSET_VARIABLE", True) is True


def test_it_refuses_a_debug_that_is_not_boolean(environ):
    environ(DEBUG="maybe")
    with pytest.raises(ImproperlyConfigured, match=r"DEBUG='maybe' is not a boolean"):
        env.env_bool("DEBUG", True)


def test_it_parses_a_postgres_url(environ):
    environ(DATABASE_URL="postgres://cswb:s3cret@db.internal:5433/cswb")
    config = env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "cswb")
    assert config["PASSWORD"] == "s3cret"


def test_it_survives_postgresql_restarts_without_hanging(environ):
    environ(DATABASE_URL="postgres://cswb@db.internal/cswb")
    config = env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    # A connection a restart broke is dropped at the next request; a frozen server costs 5 s.
    assert config["CONN_HEALTH_CHECKS"] is True
    assert 0 < config["CONN_MAX_AGE"] <= 600
    assert config["OPTIONS"]["connect_timeout"] == 5


def test_the_url_may_set_its_own_connect_timeout(environ):
    environ(DATABASE_URL="postgres://cswb@db.internal/cswb?connect_timeout=2")
    config = env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert int(config["OPTIONS"]["connect_timeout"]) == 2


def test_it_defaults_to_sqlite(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/tmp/x.sqlite3"


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url", "postgres://host:5432/"])
def test_it_refuses_a_malformed_database_url(environ, url):
    environ(DATABASE_URL=url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.env_database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379", "redis://:6379/0", "redis://h:port/0"])
def test_it_refuses_a_malformed_redis_url(environ, url):
    environ(REDIS_URL=url)
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL=.*redis://host:6379/0"):
        env.env_redis_url("REDIS_URL")


def test_it_accepts_a_redis_url(environ):
    environ(REDIS_URL="redis://127.0.0.1:6379/0")
    assert env.env_redis_url("REDIS_URL") == "redis://127.0.0.1:6379/0"


def test_it_reads_an_smtp_url(environ):
    environ(EMAIL_URL="smtp+tls://mailer%40halton.ca:p%40ss@mail.example.org:587")
    config = env.env_email("EMAIL_URL")
    assert config["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("mail.example.org", 587)
    assert config["EMAIL_HOST_USER"] == "mailer@halton.ca"
    assert config["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert config["EMAIL_USE_TLS"] is True


def test_it_defaults_to_console_mail(monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    assert env.env_email("EMAIL_URL")["EMAIL_BACKEND"].endswith("console.EmailBackend")


@pytest.mark.parametrize("url", ["smtp://", "ftp://mail:25", "smtp://mail:abc"])
def test_it_refuses_a_malformed_email_url(environ, url):
    environ(EMAIL_URL=url)
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        env.env_email("EMAIL_URL")


def _manage(*args, **extra_env):
    local_only = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in local_only}
    environment.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_stops_start_up_naming_the_bad_variable():
    result = _manage("check", DEBUG="sometimes")
    assert result.returncode != 0
    assert "DEBUG='sometimes' is not a boolean" in result.stderr


def test_it_requires_a_secret_key_when_debug_is_off():
    result = _manage("check", DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_it_passes_the_deploy_check_with_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY="k3Y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
        ALLOWED_HOSTS="cswb.example.org",
        SITE_URL="https://cswb.example.org",
        DATABASE_URL="postgres://cswb@127.0.0.1:5432/cswb",
        REDIS_URL="redis://127.0.0.1:6379/0",
        EMAIL_URL="smtp+tls://mail.example.org:587",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_it_collects_static_files_with_hashed_names(tmp_path):
    result = _manage(
        "collectstatic",
        "--noinput",
        DEBUG="false",
        SECRET_KEY="k3Y-" + "a1b2c3d4e5f6g7h8i9j0" * 3,
        ALLOWED_HOSTS="cswb.example.org",
        CSWB_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = tmp_path / "staticfiles" / "staticfiles.json"
    assert manifest.exists()
    assert "vendor/chartjs-4.5.1/chart.umd.min.js" in manifest.read_text()


def test_the_cache_may_live_apart_from_the_broker():
    show = "from django.conf import settings; print(settings.CACHES['default']['LOCATION'])"
    beside = _manage("shell", "-c", show, REDIS_URL="redis://broker:6379/4")
    apart = _manage("shell", "-c", show, REDIS_URL="redis://broker:6379/4",
                    CACHE_URL="redis://cache:6380/0?socket_timeout=0.1")
    assert beside.stdout.splitlines()[-1] == "redis://broker:6379/5"
    assert apart.stdout.splitlines()[-1] == "redis://cache:6380/0?socket_timeout=0.1"
