"""The one writer of event documents (events.services and the booking protocol in
bookings.services both write through here), and what keeps cached copies of
events honest (events.cache).

Every write names its event by `_id` in its filter. A write that changes what a
reader is shown (anything but the seat markers in `pending`) also increments the
event's `version` in the same update, atomically with the change: events.cache
serves a cached copy only while its version is the stored one. No write touches
Redis.
"""

from pymongo import ReturnDocument, WriteConcern

from shared.ids import EVENT, insert_with_fresh_id
from shared.mongo import events

# Projection for reads that need no seat markers (a hot sale has some in flight, and no answer
# shows them); `holds` only on documents a migration has not reached yet.
NO_MARKERS = {"pending": 0, "holds": 0}
UNJOURNALED = WriteConcern(w=1, j=False)


def _versioned(update):
    """`update`, plus `version` + 1 unless it only moves seat markers."""
    if not set().union(*(fields for fields in update.values())) - {"pending"}:
        return update
    return {**update, "$inc": {**update.get("$inc", {}), "version": 1}}


def event_insert(doc):
    """Insert a new event; returns its id: a fresh one if the one it came with was already
    another event's (shared/ids.py)."""
    return insert_with_fresh_id(events(), {"version": 0, **doc}, prefix=EVENT)["_id"]


def event_find_one_and_update(query, update, *, projection=None, array_filters=None):
    """The document after the update, or None when nothing matched `query`."""
    return events().find_one_and_update(
        query, _versioned(update), projection=projection, array_filters=array_filters, return_document=ReturnDocument.AFTER
    )


def event_update_one(query, update, *, array_filters=None, journaled=True):
    """PyMongo's UpdateResult (matched_count, modified_count).

    `journaled=False`: acknowledged once applied, before it is durable (MongoDB's
    `w: 1, j: false`; the local server commits it with the next write or within 100 ms).
    Only for an update that moves seat markers and nothing else, whose loss puts a
    marker back for the reconciler to settle as the request did (bookings.services);
    anything a reader is shown stays durable before it is answered."""
    versioned = _versioned(update)
    if journaled:
        return events().update_one(query, versioned, array_filters=array_filters)
    if versioned is not update:
        raise ValueError("only an update of seat markers alone may skip the journal")
    return events().with_options(write_concern=UNJOURNALED).update_one(query, update, array_filters=array_filters)


def event_delete_one(query):
    """True when a document matching `query` was deleted. A cached copy of it is never
    served again: the cache's version check finds no document (events.cache)."""
    return events().delete_one(query).deleted_count == 1
