"""One Redis connection pool per process, shared by the cache, the throttles and
the notifications' PUBLISH.

Django keeps a cache backend instance per context, and under ASGI each request runs
in a context of its own: `django.core.cache.cache` built a new RedisCache, a new
client wrapper, and (before SharedConnectionPool) a new connection pool with a new
TCP connection, for every request. Here:
- `cache` is the default cache built once per process (Django's Redis and local-memory
  backends are thread-safe), rebuilt only when a test overrides CACHES;
- RedisCache hands out one redis.Redis per pool instead of one per call;
- SharedConnectionPool gives every pool made for the same URL and options the same
  pool, and `redis_client(url)` a client on it: the realtime fan-out publishes
  through the cache's pool when REALTIME_REDIS_URL is REDIS_URL.
What cannot share it: the subscription of notifications.fanout (a subscribed
connection runs no other command, and it lives on daphne's event loop, where a
blocking client would stall every connection).
"""

import threading

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import redis as django_redis
from django.core.signals import setting_changed
from redis import ConnectionPool

_pools = {}
_clients = {}
_lock = threading.Lock()


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, repr(sorted(kwargs.items())))
        with _lock:
            if key not in _pools:
                _pools[key] = ConnectionPool.from_url(url, **kwargs)
            return _pools[key]


def pool_options():
    """The options settings.CACHES gives the Redis pool, as Django's client passes them."""
    return {"parser_class": redis.connection.DefaultParser, "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS,
            "socket_timeout": settings.REDIS_TIMEOUT_SECONDS}


def redis_client(url):
    """This process's redis.Redis for `url`, on the pool the cache uses for it."""
    client = _clients.get(url)
    if client is None:
        pool = SharedConnectionPool.from_url(url, **pool_options())
        client = _clients.setdefault(url, redis.Redis(connection_pool=pool))
    return client


class _RedisCacheClient(django_redis.RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients_by_pool", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _RedisCacheClient


class _ProcessCache:
    """`caches["default"]`, but one instance for the whole process."""

    backend = None

    def __getattr__(self, name):
        backend = _ProcessCache.backend
        if backend is None:
            backend = _ProcessCache.backend = caches.create_connection("default")
        return getattr(backend, name)


def _reset(setting, **kwargs):
    if setting == "CACHES":
        _ProcessCache.backend = None


setting_changed.connect(_reset)
cache = _ProcessCache()
