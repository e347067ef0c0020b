"""Event details in the cache (Redis with REDIS_URL, local memory otherwise).

A reader must never see a stale status, price or seat count after a write was
acknowledged. Deleting the key is not enough: a reader that loaded the old
document before the write could store it after the delete. So each event has a
generation token: writers replace it after the database write; readers take
the token before loading and store the document tagged with it; a cached copy
counts only while its tag equals the current token. A hit is one round trip
(MGET of the token and the copy).
"""

import uuid

from django.conf import settings
from django.core.cache import cache

# A token may expire at any time without harm: whoever comes next makes a new
# one, and no copy tagged with the old one is ever served again.
GENERATION_SECONDS = 24 * 3600


def _keys(event_id):
    return f"event:{event_id}:gen", f"event:{event_id}"


def event_cache_get(event_id, load):
    """The cached document of `event_id`, loading it with `load()` on a miss."""
    if not settings.EVENT_CACHE_ENABLED:
        return load()
    token_key, copy_key = _keys(event_id)
    found = cache.get_many([token_key, copy_key])
    token, copy = found.get(token_key), found.get(copy_key)
    if token is not None and copy is not None and copy["generation"] == token:
        return copy["doc"]
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(token_key, token, timeout=GENERATION_SECONDS):
            # Another reader or a writer got there first: use theirs.
            token = cache.get(token_key) or token
    doc = load()
    if doc is not None:
        cache.set(copy_key, {"generation": token, "doc": doc}, timeout=settings.EVENT_CACHE_SECONDS)
    return doc


def event_cache_invalidate(event_id):
    """Call after every database write that changes what `GET /events/:id` shows.

    Done even with EVENT_CACHE_ENABLED off, so processes that disagree on the
    setting still never serve a stale document."""
    cache.set(_keys(event_id)[0], uuid.uuid4().hex, timeout=GENERATION_SECONDS)
