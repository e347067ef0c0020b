"""Direct PyMongo access for the hot paths (bookings, listings, analytics).

Collections come from Django's connection so that tests, which switch Django to
a test database, hit the same database as the ORM. Only operations the local
MongoDB-compatible server supports are used here (see DESIGN.md).
"""

from django.db import connection
from pymongo import ReturnDocument


def collection(name):
    return connection.database[name]


def next_sequence(name):
    """The next number of a named counter; atomic across processes and restarts."""
    doc = collection("counters").find_one_and_update(
        {"_id": name},
        {"$inc": {"value": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return doc["value"]


def next_public_id(prefix):
    """`EVT-0001`, `BK-0042`, ... : four digits at least, never repeated."""
    return f"{prefix}-{next_sequence(prefix):04d}"
