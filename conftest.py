"""Fixtures shared by every app's tests: one user per role, the browser, a real worker."""

import os

import pytest
from django.contrib.auth.models import Group

from cswb.accounts.roles import Role
from cswb.testing import browser as browser_lib
from cswb.testing.redis import redis_server_or_skip
from cswb.testing.smtp import SmtpSink
from cswb.testing.worker import start_worker


@pytest.fixture(autouse=True)
def _clear_cache():
    """Start every test with an empty cache (rate limits, cached pages) and no memory of a
    broker that did not answer."""
    from django.core.cache import cache

    from cswb.lib.pagecache import local_pages
    from cswb.lib.tasks import broker_breaker

    broker_breaker().reset()
    cache.clear()
    local_pages.clear()
    yield
    cache.clear()
    local_pages.clear()


@pytest.fixture
def make_staff(db, django_user_model):
    """Return a function that creates an active staff user holding the given roles."""

    def make(username: str, *roles: Role, **fields):
        user = django_user_model.objects.create_user(
            username=username,
            email=fields.pop("email", f"{username}@example.org"),
            password="correct horse battery staple",
            is_staff=True,
            **fields,
        )
        if roles:
            user.groups.set(Group.objects.filter(name__in=[str(role) for role in roles]))
        return user

    return make


@pytest.fixture
def cswb_admin(make_staff):
    return make_staff("alice-admin", Role.ADMINISTRATOR)


@pytest.fixture
def lead_user(make_staff):
    return make_staff("lee-lead", Role.ACTION_TABLE_LEAD)


@pytest.fixture
def steward_user(make_staff):
    return make_staff("dana-steward", Role.DATA_STEWARD)


@pytest.fixture
def grant_staff_user(make_staff):
    return make_staff("gina-grants", Role.GRANT_STAFF)


@pytest.fixture
def reviewer_user(make_staff):
    return make_staff("rory-reviewer", Role.GRANT_REVIEWER)


@pytest.fixture
def triage_user(make_staff):
    return make_staff("tess-triage", Role.ISSUE_TRIAGE)


@pytest.fixture
def outsider_user(make_staff):
    """A staff account with no role: it can sign in to the admin and must see nothing."""
    return make_staff("otto-outsider")


@pytest.fixture
def role_users(cswb_admin, lead_user, steward_user, grant_staff_user, reviewer_user, triage_user,
               outsider_user):
    """Return every role's user by a short name, for tests that walk the role matrix."""
    return {
        "admin": cswb_admin,
        "lead": lead_user,
        "steward": steward_user,
        "grant_staff": grant_staff_user,
        "reviewer": reviewer_user,
        "triage": triage_user,
        "outsider": outsider_user,
    }


# Browser ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls tests make around
    # it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = browser_lib.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-CA")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def assert_accessible():
    return browser_lib.assert_accessible


# Real worker -------------------------------------------------------------------------------------


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def celery_worker(transactional_db, settings, smtp_sink):
    """Run tasks in a real Celery worker over Redis, sending mail to ``smtp_sink``.

    Needs REDIS_URL and PostgreSQL (an in-memory SQLite test database cannot be shared with
    another process); CI sets CSWB_REQUIRE_WORKER=1 so a missing service fails instead of skipping.
    """
    from cswb.celery import app

    worker = start_worker(settings, email_url=smtp_sink.url)
    yield worker
    app.conf.task_always_eager = True
    worker.stop()


# A Redis server of the test's own -------------------------------------------------------------


@pytest.fixture
def own_redis():
    """A redis-server on a free port that the test may stop, freeze (SIGSTOP) and restart."""
    server = redis_server_or_skip()
    yield server
    server.stop()


@pytest.fixture
def cache_on_own_redis(settings, own_redis):
    """Point Django's cache at ``own_redis`` (database 1), retrying 0.5 s after a failure."""
    settings.CACHES = {
        "default": {
            "BACKEND": "cswb.lib.cache.PooledRedisCache",
            "LOCATION": own_redis.url(1),
            "KEY_PREFIX": "test",
            "OPTIONS": {"RETRY_SECONDS": 0.5},
        }
    }
    from cswb.lib.cache import forget as forget_breaker
    from cswb.lib.pagecache import local_pages

    local_pages.clear()
    yield own_redis
    local_pages.clear()
    forget_breaker(own_redis.url(1))
