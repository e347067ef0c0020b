"""Redis is a cache and a fan-out here, never a dependency of a request.

Every Redis call a request makes goes through `redis_guard.call(fn, default)`:
a Redis error or timeout (REDIS_TIMEOUT_MS, set on the connections in settings)
returns `default` instead of raising, and makes this process leave Redis alone
for REDIS_RETRY_SECONDS, so that while Redis is down or stalled a request pays
at most one timeout, and most pay none. Correctness never depends on what Redis
holds or whether a call reached it (events/cache.py checks every cached copy
against the database; accounts/throttles.py counts in memory too).
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

from shared.cachepool import cache

log = logging.getLogger(__name__)


class RedisGuard:
    def __init__(self):
        self._until = 0.0
        self._lock = threading.Lock()

    @property
    def bypassed(self):
        """True while this process leaves Redis alone after a failure."""
        return time.monotonic() < self._until

    def call(self, fn, default=None):
        if self.bypassed:
            return default
        try:
            return fn()
        except (RedisError, OSError) as exc:
            self.failed(exc)
            return default

    def failed(self, exc):
        with self._lock:
            was_open = self.bypassed
            self._until = time.monotonic() + settings.REDIS_RETRY_SECONDS
        if not was_open:
            log.warning("Redis failed (%r): this process bypasses it for %ss", exc, settings.REDIS_RETRY_SECONDS)


redis_guard = RedisGuard()
_guards = {}


def guard_for(url):
    """The guard of the Redis at `url`: the cache's (redis_guard) when it is REDIS_URL,
    so that one failure noticed by either makes both leave that Redis alone."""
    if url == settings.REDIS_URL:
        return redis_guard
    return _guards.setdefault(url, RedisGuard())


_MISSING = object()
_FAILED = object()


class MemoryBackedCache:
    """For counters that must keep counting when Redis cannot (the login and
    registration throttles): every write goes to this process's memory as well as
    to the shared cache; a read takes the shared value while Redis answers and this
    process's own while it does not. So during an outage each process counts what it
    sees itself: an attacker gets at most the configured rate per process, and no one
    is refused because Redis is down."""

    def __init__(self, max_entries=100_000):
        self.local = LocMemCache("eventbooking-memory-backed", {"OPTIONS": {"MAX_ENTRIES": max_entries}})

    def get(self, key, default=None):
        value = redis_guard.call(lambda: cache.get(key, _MISSING), _FAILED)
        if value is _FAILED:
            return self.local.get(key, default)
        return default if value is _MISSING else value

    def set(self, key, value, timeout=None):
        self.local.set(key, value, timeout)
        redis_guard.call(lambda: cache.set(key, value, timeout))


memory_backed_cache = MemoryBackedCache()
