"""The one way to the raw MongoDB collections (bookings, listings, analytics).

Collections come from Django's connection so that tests, which switch Django to
a test database, hit the same database as the ORM. They read datetimes back
timezone-aware (UTC), as they were written. Only operations the local
MongoDB-compatible server supports are used on them (docs/operations.md, "The local database").
"""

from datetime import UTC

from bson.codec_options import CodecOptions
from django.db import connection
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=UTC)


def collection(name):
    return connection.database.get_collection(name, codec_options=CODEC_OPTIONS)


def events():
    """Read freely; write only through events.store, which keeps the cache right."""
    return collection("events")


def bookings():
    return collection("bookings")


def idempotency_keys():
    return collection("idempotency_keys")


def next_sequence(name, count=1):
    """The next number of a named counter (the first of `count` numbers taken at once,
    in one update); atomic across processes and restarts.

    The number is derived from the document *before* the increment: the local
    server (mongo-java-server 1.47) can return, as the "after" document, a state
    that already includes other clients' increments, which repeats numbers under
    load; the "before" image is taken atomically with the update. An upsert is not
    used to create the counter either: two racing upserts may both insert.
    """
    counters = collection("counters")
    while True:
        before = counters.find_one_and_update(
            {"_id": name}, {"$inc": {"value": count}}, return_document=ReturnDocument.BEFORE
        )
        if before is not None:
            return before["value"] + 1
        try:
            counters.update_one({"_id": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
        except DuplicateKeyError:
            pass


def counter_raise(name, at_least):
    """Move a named counter up to `at_least` (never down): its next number is then above it.
    Returns the counter's value before."""
    counters = collection("counters")
    while True:
        before = counters.find_one_and_update(
            {"_id": name}, {"$max": {"value": at_least}}, return_document=ReturnDocument.BEFORE
        )
        if before is not None:
            return before["value"]
        try:
            counters.update_one({"_id": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
        except DuplicateKeyError:
            pass
