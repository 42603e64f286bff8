"""The Redis cache as a helper: against a redis-server of the test's own, stopped and frozen."""

import time

import pytest
from django.core.cache import cache

from cswb.lib import cache as shared_cache
from cswb.lib import pagecache
from cswb.models import PageVersion
from cswb.testing.worker import wait_for


def test_the_redis_cache_reuses_one_client(settings):
    if not settings.REDIS_URL:
        pytest.skip("Needs REDIS_URL: this checks the Redis cache backend.")
    client = cache._cache.get_client(write=True)
    cache.set("k", "v", 10)
    assert cache.get("k") == "v"
    assert cache.get_many(["k"]) == {"k": "v"}
    assert cache._cache.get_client(write=True) is client


def test_it_works_as_a_cache_while_redis_answers(cache_on_own_redis):
    cache.set("k", "v", 10)
    assert cache.get("k") == "v"
    assert cache.add("n", 1) and cache.incr("n") == 2
    assert shared_cache.available(cache)


def test_a_stopped_redis_reads_as_a_miss_at_once(cache_on_own_redis):
    cache.set("k", "v", 10)
    cache_on_own_redis.stop()
    started = time.monotonic()
    assert cache.get("k") is None
    assert cache.get("k", "default") == "default"
    assert cache.get_many(["k"]) == {}
    assert cache.add("n", 1) is False
    assert cache.set("k", "w") is None
    with pytest.raises(shared_cache.CacheUnavailable):
        cache.incr("n")
    assert time.monotonic() - started < 0.5
    assert not shared_cache.available(cache)


def test_a_frozen_redis_costs_one_timeout_per_interval_not_one_per_call(cache_on_own_redis):
    cache.set("k", "v", 10)
    cache_on_own_redis.freeze()
    started = time.monotonic()
    assert cache.get("k") is None  # waits for the read timeout once
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(50):
        assert cache.get("k") is None
    others = time.monotonic() - started
    assert 0.2 <= first < 1
    assert others < 0.1


def test_once_redis_answers_again_cached_pages_are_made_stale_before_any_is_read(
    cache_on_own_redis, db, django_capture_on_commit_callbacks
):
    before = pagecache.content_version()
    pagecache.local_pages.put("page:x", "old", 3, time.time() + 60)
    cache_on_own_redis.freeze()
    # The database's, until Redis answers.
    assert pagecache.content_version() == f"db{PageVersion.current()}"
    # An edit saved meanwhile cannot make the pages stale itself...
    with django_capture_on_commit_callbacks(execute=True):
        pagecache.bump_version()
    cache_on_own_redis.thaw()
    # ...so the process does it when Redis answers again, before its requests use the cache.
    wait_for(lambda: shared_cache.available(cache), timeout=5, what="the cache to answer")
    assert pagecache.content_version() > before
    assert pagecache.local_pages.get("page:x") is None


def test_a_restarted_redis_never_brings_back_an_old_version(cache_on_own_redis, db):
    before = pagecache.content_version()
    cache_on_own_redis.stop()
    in_database = f"db{PageVersion.current()}"
    assert pagecache.content_version() == in_database
    cache_on_own_redis.start()
    wait_for(lambda: shared_cache.available(cache), timeout=5, what="the cache to answer")
    assert pagecache.content_version() not in (before, in_database)


def test_public_pages_render_from_the_database_while_redis_is_down(client, db,
                                                                    cache_on_own_redis):
    warm = client.get("/action-tables/")
    cache_on_own_redis.stop()
    for url in ("/", "/action-tables/", "/dashboard/", "/grants/", "/issues/new/"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/action-tables/").content == warm.content


def test_while_redis_is_down_a_warm_page_costs_one_query(
    client, db, cache_on_own_redis, django_assert_num_queries
):
    cache_on_own_redis.stop()
    first = client.get("/action-tables/")
    with django_assert_num_queries(1):  # the pages' version, from the database
        again = client.get("/action-tables/")
    assert again.content == first.content
    revalidated = client.get("/action-tables/", headers={"if-none-match": again["ETag"]})
    assert revalidated.status_code == 304


def test_while_redis_is_down_an_edit_shows_on_the_next_request(
    client, db, cache_on_own_redis, django_capture_on_commit_callbacks
):
    from actiontables.tests.factories import ActionTableFactory

    table = ActionTableFactory(name="Night Transit Table")
    cache_on_own_redis.stop()
    assert "Night Transit Table" in client.get("/action-tables/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        table.name = "Late Bus Table"
        table.save()
    page = client.get("/action-tables/").content.decode()
    assert "Late Bus Table" in page and "Night Transit Table" not in page


def test_the_database_version_rises_when_a_change_commits_and_not_on_a_rollback(
    db, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from actiontables.tests.factories import ActionTableFactory
    from cswb.models import PageVersion

    table = ActionTableFactory()
    before = PageVersion.current()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        table.name = "Renamed"
        table.save()
        transaction.set_rollback(True)
    assert PageVersion.current() == before
    with django_capture_on_commit_callbacks(execute=True):
        table.name = "Renamed"
        table.save()
    assert PageVersion.current() == before + 1


def test_healthz_names_redis_within_a_second_when_it_is_frozen(client, db, cache_on_own_redis):
    from cswb.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, cache_on_own_redis.url(0)
    cache_on_own_redis.freeze()
    try:
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
    assert response.status_code == 503
    assert elapsed < 1
    body = response.json()
    assert (body["database"], body["cache"], body["broker"]) == ("ok", "down", "down")
    assert body["problems"] == [
        "Redis (the shared cache) does not answer",
        "Redis (the task broker) does not answer",
    ]


def test_a_migrations_historical_model_leaves_the_versions_alone(
    db, django_capture_on_commit_callbacks
):
    """Data migrations save rows before the version's own table may exist."""
    from django.apps import apps
    from django.db.migrations.state import ProjectState

    historical = ProjectState.from_apps(apps).apps.get_model("actiontables", "ActionTable")
    before = PageVersion.current(), pagecache.content_version()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        pagecache.bump_on_public_change(historical)
    assert callbacks == []
    assert (PageVersion.current(), pagecache.content_version()) == before
