"""The one way to the raw MongoDB collections (bookings, listings, analytics).

Collections come from Django's connection so that tests, which switch Django to
a test database, hit the same database as the ORM. They read datetimes back
timezone-aware (UTC), as they were written. Only operations the local
MongoDB-compatible server supports are used on them (docs/operations.md, "The local database").
"""

from datetime import UTC

from bson.codec_options import CodecOptions
from django.conf import settings
from django.db import connection
from pymongo import ReturnDocument, WriteConcern
from pymongo.errors import DuplicateKeyError

CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=UTC)
# A step's write concern (below): acknowledged once applied, before the journal commit.
STEP = WriteConcern(w=1, j=False)


def collection(name, *, step=False):
    """The collection `name`, its writes acknowledged with the settings' write concern
    (durable: majority and journal by default); `step=True`: a step of a request's
    protocol, acknowledged before it is durable where that is safe (_steps_allowed).

    A step may only be a write whose loss is the same as a crash before it (a seat
    marker, the booking a marker covers: the reconciler settles them), and the request
    must not answer before a durable write that follows it: on a single server (the
    local one, a standalone mongod) journal commits are in order, so the durable
    write's acknowledgement covers every write applied before it, the steps included.
    durable_barrier() is that write where the request has no other one to make."""
    coll = connection.database.get_collection(name, codec_options=CODEC_OPTIONS)
    if step and _steps_allowed():
        return coll.with_options(write_concern=STEP)
    return coll


_single_server = []


def _steps_allowed():
    """Steps are acknowledged early only on a single server (MONGODB_STEPS: auto, the
    default, decides from the server's hello; on or off force it). A replica set
    rolls a w:1 write back on a failover even when a later majority write, sent to
    the new primary, succeeds: there every write stays durable."""
    mode = settings.MONGODB_STEPS
    if mode != "auto":
        return mode == "on"
    if not _single_server:
        hello = connection.database.client.admin.command("hello")
        _single_server.append("setName" not in hello and hello.get("msg") != "isdbgrid")
    return _single_server[0]


def durable_barrier():
    """A durable write that changes nothing: once acknowledged, every step before it is
    durable (collection()). For a request whose last step has no durable write after it."""
    collection("counters").update_one({"_id": "durable-barrier"}, {"$set": {"never": True}})


def events(*, step=False):
    """Read freely; write only through events.store, which keeps the cache right."""
    return collection("events", step=step)


def bookings(*, step=False):
    return collection("bookings", step=step)


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
