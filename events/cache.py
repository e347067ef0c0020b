"""Event details in the cache (Redis with REDIS_URL, local memory otherwise).

The database, not the cache, decides freshness. Every write of an event through
events/store.py increments its `version` in the same update, and a cached copy
is the document as loaded, with that version in it. A read fetches the copy from
the cache and the current version from the database (a find_one by _id
projected to `version`), and serves the copy only when they are equal;
otherwise it loads the document and stores it as the new copy. So:

- after a write was acknowledged, every read sees its version or a later one,
  and a copy of any earlier version is never served, whoever stored it and
  whatever Redis holds (a Redis that comes back with old data, a store that
  lands late from a reader that loaded before the write, a stalled Redis that
  replays commands after it resumes);
- writers never touch the cache: a write cannot fail or wait because of Redis.

Redis calls go through shared.redisguard: if Redis fails, the read goes
to the database and the answer is the same. The argument is written out in
docs/architecture.md ("Cache").
"""

from django.conf import settings

from shared.cachepool import cache
from shared.mongo import events
from shared.redisguard import redis_guard


def cache_key(event_id):
    return f"event:{event_id}:v"


def event_cache_get(event_id, load):
    """The document of `event_id` as `load()` (a find_one of the whole document,
    `version` included) returns it now, from the cache when its copy is current."""
    if not settings.EVENT_CACHE_ENABLED:
        return load()
    copy = redis_guard.call(lambda: cache.get(cache_key(event_id)))
    if copy is not None:
        current = events().find_one({"_id": event_id}, {"version": 1})
        if current is None:
            return None
        if copy["version"] == current.get("version", 0):
            return copy["doc"]
    doc = load()
    if doc is not None:
        copy = {"version": doc.get("version", 0), "doc": doc}
        redis_guard.call(lambda: cache.set(cache_key(event_id), copy, timeout=settings.EVENT_CACHE_SECONDS))
    return doc
