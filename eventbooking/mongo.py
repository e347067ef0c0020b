"""Direct PyMongo access for the hot paths (bookings, listings, analytics).

Collections come from Django's connection so that tests, which switch Django to
a test database, hit the same database as the ORM. Only operations the local
MongoDB-compatible server supports are used here (see DESIGN.md).
"""

from django.db import connection
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


def collection(name):
    return connection.database[name]


def next_sequence(name):
    """The next number of a named counter; atomic across processes and restarts.

    The number is derived from the document *before* the increment: the local
    server (mongo-java-server 1.47) can return, as the "after" document, a state
    that already includes other clients' increments, which repeats numbers under
    load; the "before" image is taken atomically with the update. An upsert is not
    used to create the counter either: two racing upserts may both insert.
    """
    counters = collection("counters")
    while True:
        before = counters.find_one_and_update(
            {"_id": name}, {"$inc": {"value": 1}}, return_document=ReturnDocument.BEFORE
        )
        if before is not None:
            return before["value"] + 1
        try:
            counters.update_one({"_id": name}, {"$setOnInsert": {"value": 0}}, upsert=True)
        except DuplicateKeyError:
            pass


def next_public_id(prefix):
    """`EVT-0001`, `BK-0042`, ... : four digits at least, never repeated."""
    return f"{prefix}-{next_sequence(prefix):04d}"
