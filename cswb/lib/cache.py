"""Django's Redis cache, as a helper the portal can lose.

- **One client per connection pool.** Django's backend builds a new ``redis.Redis`` client for
  every call; with redis-py 8 that costs more than the round trip itself on a cached page. The
  client is thread-safe and holds no connection of its own (the pool does), so one is enough.
- **Short timeouts.** Connecting and each reply wait at most ``socket_connect_timeout`` and
  ``socket_timeout`` (OPTIONS, or ``?socket_timeout=`` in ``CACHE_URL``; 0.25 s by default), and
  redis-py does not retry: a Redis that is down or frozen costs one short wait, never a hung
  worker.
- **Fails open.** A call that cannot reach Redis answers as a miss would: ``get`` returns the
  default, ``add`` and ``delete`` False, ``get_many`` nothing; ``incr`` raises
  ``CacheUnavailable``, a ``ValueError`` like the one for a missing key. Callers that need to
  know ask ``available()``.
- **A circuit breaker per process** (``cswb.lib.breaker``): after a failure, calls go without
  Redis at once for ``RETRY_SECONDS`` (OPTIONS; 5 by default) while a background thread tries it
  once per interval. When it answers again, the functions registered with ``on_recovery`` run
  (cached pages are made stale: edits saved meanwhile could not say so) before requests use the
  cache again.
"""

import functools
import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from cswb.lib.breaker import CircuitBreaker

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 0.25
DEFAULT_RETRY_SECONDS = 5.0

# One breaker per Redis address in this process, whichever thread's cache object uses it.
_breakers: dict[str, CircuitBreaker] = {}
_recovery: list = []


class CacheUnavailable(ValueError):
    """The cache could not be reached (a ValueError, as Django raises for a missing key)."""


def on_recovery(function):
    """Register ``function`` to run when Redis answers again after this process lost it.

    It runs in the breaker's thread, before requests may use the cache again; an exception
    (Redis failing again) keeps the breaker open and runs it again at the next try.
    """
    if function not in _recovery:
        _recovery.append(function)
    return function


def forget(location: str) -> None:
    """Stop and drop this process's breaker for ``location`` (a Redis that is gone for good,
    such as a test's own server)."""
    breaker = _breakers.pop(location, None)
    if breaker is not None:
        breaker.stop()


def available(cache) -> bool:
    """Return False while ``cache`` is known to be unreachable (its breaker is open)."""
    check = getattr(cache, "available", None)
    return True if check is None else check()


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def ping(self):
        return self.get_client(write=True).ping()


def _fail_open(fallback):
    """Run the cache method, or return ``fallback(args, kwargs)`` when Redis is away."""

    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args, **kwargs):
            breaker = self.breaker
            if not breaker.allow():
                return fallback(args, kwargs)
            try:
                result = method(self, *args, **kwargs)
            except self._redis_errors as exc:
                breaker.failed(exc)
                if breaker.probing():
                    raise
                return fallback(args, kwargs)
            breaker.succeeded()
            return result

        return guarded

    return decorate


def _default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


def _unavailable(args, kwargs):
    raise CacheUnavailable("the cache does not answer")


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", DEFAULT_TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = PooledRedisCacheClient
        import redis

        self._redis_errors = (redis.exceptions.RedisError, OSError)
        location = self._servers[0]
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = CircuitBreaker(
                f"Redis cache ({_address(location)})",
                interval=retry_seconds,
                probe=self._probe,
            )
            breaker.on_recovery = _recovery
        self.breaker = breaker

    def _probe(self):
        self._cache.ping()

    def available(self) -> bool:
        return not self.breaker.is_open

    def ping(self) -> None:
        """Raise unless Redis answers now (``healthz``): at once while the breaker is open."""
        if not self.breaker.allow():
            raise CacheUnavailable(f"{self.breaker.name} does not answer")
        try:
            self._cache.ping()
        except self._redis_errors as exc:
            self.breaker.failed(exc)
            raise
        self.breaker.succeeded()

    get = _fail_open(_default)(RedisCache.get)
    get_many = _fail_open(lambda args, kwargs: {})(RedisCache.get_many)
    has_key = _fail_open(lambda args, kwargs: False)(RedisCache.has_key)
    add = _fail_open(lambda args, kwargs: False)(RedisCache.add)
    set = _fail_open(lambda args, kwargs: None)(RedisCache.set)
    set_many = _fail_open(lambda args, kwargs: [])(RedisCache.set_many)
    touch = _fail_open(lambda args, kwargs: False)(RedisCache.touch)
    delete = _fail_open(lambda args, kwargs: False)(RedisCache.delete)
    delete_many = _fail_open(lambda args, kwargs: None)(RedisCache.delete_many)
    incr = _fail_open(_unavailable)(RedisCache.incr)
    clear = _fail_open(lambda args, kwargs: False)(RedisCache.clear)


def _address(location: str) -> str:
    """Return host:port/db of a Redis URL, without any password."""
    from urllib.parse import urlsplit

    parts = urlsplit(location)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path or '/0'}"
