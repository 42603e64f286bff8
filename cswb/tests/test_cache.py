import pytest
from django.core.cache import cache


def test_the_redis_cache_reuses_one_client(settings):
    if not settings.REDIS_URL:
        pytest.skip("Needs REDIS_URL: this checks the Redis cache backend.")
    client = cache._cache.get_client(write=True)
    cache.set("k", "v", 10)
    assert cache.get("k") == "v"
    assert cache.get_many(["k"]) == {"k": "v"}
    assert cache._cache.get_client(write=True) is client
