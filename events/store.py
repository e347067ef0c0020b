"""The one writer of event documents (events.services and the booking protocol in
bookings.services both write through here), and the one place that keeps the
cached copies of events right (events.cache).

Every write names its event by `_id` in its filter. A write that changed a
document invalidates that event's cached copy after the database acknowledged
it, unless it only moved seat markers (`pending`), which no reader is shown.
"""

from pymongo import ReturnDocument

from eventbooking.mongo import events
from events.cache import event_cache_invalidate

# Projection for reads that need no seat markers: a hot sale can hold many, and no
# answer shows them.
NO_MARKERS = {"pending": 0}


def _after_write(query, update, changed):
    if changed and set().union(*(fields for fields in update.values())) - {"pending"}:
        event_cache_invalidate(query["_id"])


def event_insert(doc):
    events().insert_one(doc)


def event_find_one_and_update(query, update, *, projection=None, array_filters=None):
    """The document after the update, or None when nothing matched `query`."""
    doc = events().find_one_and_update(
        query, update, projection=projection, array_filters=array_filters, return_document=ReturnDocument.AFTER
    )
    _after_write(query, update, doc is not None)
    return doc


def event_update_one(query, update, *, array_filters=None):
    """PyMongo's UpdateResult (matched_count, modified_count)."""
    result = events().update_one(query, update, array_filters=array_filters)
    _after_write(query, update, result.modified_count)
    return result
