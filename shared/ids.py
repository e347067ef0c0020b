"""Public ids: `EVT-0001` for events, `BK-0001` for bookings, `TT-0001` for ticket types,
`HLD-0001` for seat holds, `WL-0001` for waiting-list entries.

A prefix, a dash and the number from an atomic counter (shared.mongo.next_sequence),
zero-padded to four digits at least; they never repeat, across restarts and processes.
One pattern per prefix, used by every check of an id that comes in: 4 to 12 digits
(a trillion ids; a longer one cannot exist, so it is refused without a lookup).

Booking numbers are taken from the counter in blocks of BOOKING_ID_BLOCK per process
(one round trip per block, not per booking). What holds: unique across processes and
restarts; within one process, handed out in increasing order. What does not: numbers
are not dense (a process that stops leaves the rest of its block unused, and a
refused booking may have used one) and not in time order across processes (two
processes book from two blocks at once). With BOOKING_ID_BLOCK=1, one at a time as
before. Events and ticket types take one number at a time.

A counter can fall behind the ids in use: a restore from a backup, a failover that
rolled back its last increments, an edit by hand. Nothing is given out twice even then:
 - at start, the reconciler (`manage.py reconcile_bookings`) moves every counter to at
   least the highest id of its kind in use (counters_catch_up);
 - a process that gets a number not above the highest it took before moves the counter
   past that and past the ids in use, and takes again;
 - a new document goes in through insert_with_fresh_id: when its id is already another
   document's, the counter moves past the ids in use and the document takes a fresh id.
   The other document is never touched.
The first two keep a process from handing out a number it or the database knows; the
third is what makes a unique `_id` the guarantee.
"""
import re
import threading

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from shared.mongo import collection, counter_raise, next_sequence

EVENT = "EVT"
BOOKING = "BK"
TICKET_TYPE = "TT"
HOLD = "HLD"
WEBHOOK = "WH"
WAITLIST = "WL"
DIGITS = r"\d{4,12}"
EVENT_ID = re.compile(rf"{EVENT}-{DIGITS}")
BOOKING_ID = re.compile(rf"{BOOKING}-{DIGITS}")
TICKET_TYPE_ID = re.compile(rf"{TICKET_TYPE}-{DIGITS}")
WAITLIST_ID = re.compile(rf"{WAITLIST}-{DIGITS}")
HOLD_ID = re.compile(rf"{HOLD}-{DIGITS}")
WEBHOOK_ID = re.compile(rf"{WEBHOOK}-{DIGITS}")
MAX_LENGTH = 20  # the models' primary key columns

# Where the ids of each kind are kept, to find the highest in use: (collection, field);
# "array.field" for ids inside an array of a document. A kind that moves to a collection
# of its own is listed here with it.
IN_USE = {
    EVENT: [("events", "_id")],
    BOOKING: [("bookings", "_id")],
    TICKET_TYPE: [("events", "types.id")],
    HOLD: [("holds", "_id")],
    WAITLIST: [("waitlist_entries", "_id")],
    WEBHOOK: [("webhooks", "_id")],
}
# How many fresh ids insert_with_fresh_id tries before it gives up (each one moves the
# counter past every id in use first, so a second collision takes a racing writer).
FRESH_ID_ATTEMPTS = 5


class IdTaken(Exception):
    """insert_with_fresh_id could not give the document a fresh id (its `renamed` refused)."""


class _Numbers:
    """The numbers this process holds of one counter (next, up to end exclusive), and the
    highest it has taken: a number from the counter not above it means the counter went back."""

    def __init__(self):
        self.lock = threading.RLock()  # held by take() around _fetch(), which takes it too
        self.next = self.end = self.high = 0

    def take(self, prefix, size):
        if size == 1:
            # No lock around the round trip: numbers of one process may be taken at once.
            return self._fetch(prefix, 1)
        with self.lock:
            if self.next >= self.end:
                self.next = self._fetch(prefix, size)
                self.end = self.next + size
            number, self.next = self.next, self.next + 1
            return number

    def _fetch(self, prefix, size):
        seen = self.high  # every number the counter gives from now on is above it, unless it went back
        first = next_sequence(prefix, size)
        if first <= seen:
            # Gone back: past every number this process took and every id in use, then again.
            counter_raise(prefix, max(seen, highest_in_use(prefix)))
            first = next_sequence(prefix, size)
            with self.lock:
                self.high = first + size - 1
            return first
        with self.lock:
            self.high = max(self.high, first + size - 1)
        return first

    def drop(self):
        """Give back the rest of the block (its numbers may be in use)."""
        with self.lock:
            self.next = self.end = 0

    def forget(self):
        with self.lock:
            self.next = self.end = self.high = 0


_numbers = {prefix: _Numbers() for prefix in IN_USE}


def next_public_id(prefix):
    size = settings.BOOKING_ID_BLOCK if prefix == BOOKING else 1
    return f"{prefix}-{_numbers[prefix].take(prefix, size):04d}"


def number_of(public_id):
    return int(public_id.rpartition("-")[2])


def highest_in_use(prefix):
    """The highest number of `prefix` that a stored document uses (0: none)."""
    pattern = {"$regex": rf"^{prefix}-{DIGITS}$"}
    highest = 0
    for name, path in IN_USE[prefix]:
        array, _, _field = path.rpartition(".")
        pipeline = [{"$match": {path: pattern}}]
        if array:
            pipeline += [{"$project": {array: 1}}, {"$unwind": f"${array}"}, {"$match": {path: pattern}}]
        number = {"$toLong": {"$substrCP": [f"${path}", len(prefix) + 1, MAX_LENGTH]}}
        pipeline.append({"$group": {"_id": None, "highest": {"$max": number}}})
        for row in collection(name).aggregate(pipeline):
            highest = max(highest, row["highest"] or 0)
    return highest


def counter_catch_up(prefix):
    """Move the counter of `prefix` to at least the highest id in use; returns
    (value before, highest in use)."""
    highest = highest_in_use(prefix)
    return counter_raise(prefix, highest), highest


def counters_catch_up():
    """counter_catch_up for every kind of id; returns {prefix: (before, after)} of the
    counters that were behind."""
    moved = {}
    for prefix in IN_USE:
        before, highest = counter_catch_up(prefix)
        if highest > before:
            moved[prefix] = (before, highest)
    return moved


def insert_with_fresh_id(target, document, *, prefix, ours=None, renamed=None):
    """Insert `document`, a new document whose `_id` is a public id of `prefix` just taken,
    into the collection `target`. When that id is already another document's (a counter
    that fell behind the ids in use), the other document is left alone: the counter moves
    past every id in use and the document takes a fresh id. Returns the document as stored.

    ours(existing): True when the document already stored under the id is this very one
    (an insert that landed although it raised); it is returned. Default: never.
    renamed(old_id, new_id): called before the document is inserted under `new_id`, to
    make what names the id follow (a seat marker, an idempotency key); returning False
    stops it: IdTaken is raised and nothing is inserted.
    A duplicate key of another unique index is raised as it is."""
    for attempt in range(FRESH_ID_ATTEMPTS):
        try:
            target.insert_one(document)
            return document
        except DuplicateKeyError:
            existing = target.find_one({"_id": document["_id"]})
            if existing is None:
                raise  # another unique index refused it
            if ours is not None and ours(existing):
                return existing
            if attempt == FRESH_ID_ATTEMPTS - 1:
                raise IdTaken(document["_id"]) from None
        counter_catch_up(prefix)
        _numbers[prefix].drop()
        fresh = next_public_id(prefix)
        if renamed is not None and renamed(document["_id"], fresh) is False:
            raise IdTaken(document["_id"])
        document = {**document, "_id": fresh}


def blocks_forget():
    """Drop the numbers this process holds and the highest it took: only for tests, which
    reset the counters between tests (a process must not keep numbers from before a reset)."""
    for numbers in _numbers.values():
        numbers.forget()


def is_event_id(value):
    return isinstance(value, str) and EVENT_ID.fullmatch(value) is not None
