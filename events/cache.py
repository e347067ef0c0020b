"""Event details in the cache (Redis with REDIS_URL, local memory otherwise).

A reader must never see a stale status, price or seat count after a write was
acknowledged. Deleting the key is not enough: a reader that loaded the old
document before the write could store it after the delete. So each event has a
generation token; writers replace the token after the database write, readers
store and look up under the token they read first, and a stale document lands
under a token nobody asks for again.
"""

import uuid

from django.conf import settings
from django.core.cache import cache


def _generation_key(event_id):
    return f"event:{event_id}:gen"


def _generation(event_id):
    key = _generation_key(event_id)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        token = cache.get(key)
    return token


def event_cache_get(event_id, load):
    """The cached document of `event_id`, loading it with `load()` on a miss."""
    key = f"event:{event_id}:{_generation(event_id)}"
    doc = cache.get(key)
    if doc is None:
        doc = load()
        if doc is not None:
            cache.set(key, doc, timeout=settings.EVENT_CACHE_SECONDS)
    return doc


def event_cache_invalidate(event_id):
    """Call after every database write that changes what `GET /events/:id` shows."""
    cache.set(_generation_key(event_id), uuid.uuid4().hex, timeout=None)
