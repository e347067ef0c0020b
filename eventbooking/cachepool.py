"""One Redis connection pool per process for Django's cache.

Django keeps a cache backend instance per context, and under ASGI each request
runs in a context of its own, so `RedisCache` built a new connection pool, and
opened a new TCP connection to Redis, for every request (measured: 50 requests,
50 connections). This pool class hands every instance the same pool.
"""

import threading

from redis import ConnectionPool

_pools = {}
_lock = threading.Lock()


class SharedConnectionPool(ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = (url, repr(sorted(kwargs.items())))
        with _lock:
            if key not in _pools:
                _pools[key] = ConnectionPool.from_url(url, **kwargs)
            return _pools[key]
