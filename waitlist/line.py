"""The waiting list as stored: one document per entry in the `waitlist_entries` collection
(waitlist/models.py), the event document keeping only counters (each type's
`waitlist_waiting`, the event's `line_seq`) and, while a step is in flight, a marker in its
bounded `pending` list.

Entry: {_id: "WL-0001", event_id, customer_id, type, qty, seq, at, state, hold, offered_at,
notified, line_key, ended_at}. States: WAITING (in line) -> OFFERED (a hold of its qty is kept
for it in the `holds` collection) -> BOOKED (the hold was claimed) or EXPIRED (the hold expired);
an event's cancellation sets the entries still in line CLOSED. Leaving sets LEFT (never shown).
Only WAITING and OFFERED entries are in line (their `line_key` is "<event>:<customer>", unique);
finished ones keep their own id there, stay listable as history, and no line query reads them.

Every change of an entry that a counter of the event follows is a marker protocol (the
bookings' one, waitlist/offers.py writes it out): the event update that moves the counters
(or holds seats) pushes a marker {kind: "entry", entry, hold, then, at}; the write of the
entry document is the commit point; the marker is pulled by the update that finishes the
counters. settle_entry_marker does what a marker says is still owed, so a crash at any step
is settled by the reconciler.
"""

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.mongo import collection
from events.models import WaitlistState

WAITING, OFFERED, BOOKED, EXPIRED, CLOSED = (state.value for state in WaitlistState)
# Storage-only states, never shown: the customer left; an id fenced before its entry landed.
LEFT, VOID = "LEFT", "VOID"
IN_LINE = [WAITING, OFFERED]
# A JOIN marker: the entry's insert is what it waits for.
JOIN = "JOIN"
ENTRY_MARKER = "entry"

# What the line's logic reads of an event: never the seat markers.
LINE_VIEW = {"title": 1, "organizer_id": 1, "status": 1, "starts_at": 1, "seats_available": 1, "types": 1}
# An offer's hold, as it ends, is followed by its entry (holds' state -> entry's state).
FOLLOWS = {"BOOKED": BOOKED, "EXPIRED": EXPIRED, "RELEASED": LEFT, "CLOSED": CLOSED}


def entries():
    return collection("waitlist_entries")


def line_key(event_id, customer_id):
    return f"{event_id}:{customer_id}"


def entry_insert(doc):
    """The one insert of an entry (or of its VOID fence). Raises DuplicateKeyError when its id
    is taken or its customer is already in the event's line."""
    entries().insert_one(doc)


def entry_fence(*, entry_id, event_id):
    """Make sure `entry_id` never becomes an entry. True when it is fenced (or was)."""
    try:
        entry_insert({"_id": entry_id, "event_id": event_id, "state": VOID, "line_key": entry_id})
        return True
    except DuplicateKeyError:
        found = entries().find_one({"_id": entry_id}, {"state": 1})
        return found is not None and found["state"] == VOID


def shown(doc):
    """The stored entry with `id` (the API's name for _id)."""
    return {**{key: value for key, value in doc.items() if key != "_id"}, "id": doc["_id"]}


def entry_get(entry_id):
    doc = entries().find_one({"_id": entry_id})
    return None if doc is None or doc["state"] in (VOID,) else doc


def live_entry_of(event_id, customer_id):
    """The customer's entry in the event's line (WAITING or OFFERED), or None."""
    return entries().find_one({"line_key": line_key(event_id, customer_id)})


def in_order(event_id, type_id=None, from_seq=None):
    """The event's WAITING entries (of one type, or all) in line order (from `seq` from_seq on)."""
    query = {"event_id": event_id, "state": WAITING}
    if type_id is not None:
        query["type"] = type_id
    if from_seq is not None:
        query["seq"] = {"$gte": from_seq}
    return entries().find(query).sort([("seq", ASCENDING), ("_id", ASCENDING)])


def position(entry):
    """1 for the first WAITING entry of its type, 2 for the next...; None once offered or closed."""
    if entry["state"] != WAITING:
        return None
    ahead = entries().count_documents(
        {"event_id": entry["event_id"], "type": entry["type"], "state": WAITING,
         "$or": [{"seq": {"$lt": entry["seq"]}}, {"seq": entry["seq"], "_id": {"$lt": entry["_id"]}}]}
    )
    return ahead + 1


def hold_of(event, entry):
    """The live hold an OFFERED entry was given (as shown, `id`), or None."""
    from bookings.services.hold_store import LIVE, holds, shown as hold_shown

    if entry.get("hold") is None or entry["state"] != OFFERED:
        return None
    doc = holds().find_one({"_id": entry["hold"], "state": LIVE})
    return hold_shown(doc) if doc else None


def entry_follow(*, hold):
    """An offer's hold has ended (booked, expired, declined, closed): its entry follows, once."""
    to_state = FOLLOWS.get(hold["state"])
    if to_state is not None and hold.get("entry"):
        entry_end(hold["entry"], from_state=OFFERED, to_state=to_state, at=hold["ended_at"], hold=hold["_id"])


def entry_end(entry_id, *, from_state, to_state, at, hold=None):
    """Move an entry out of the line (conditional on `from_state`, and on its hold); its line
    key becomes its id, so the customer may join again. True when this call moved it."""
    query = {"_id": entry_id, "state": from_state}
    if hold is not None:
        query["hold"] = hold
    done = entries().update_one(query, {"$set": {"state": to_state, "ended_at": at, "line_key": entry_id}})
    return done.modified_count == 1


def line_close(*, event_id, at):
    """A cancelled event's line closes: its entries still in line become CLOSED. Returns the
    customers whose entry this call closed (they are told). Called by the cascade
    (bookings.signals.event_closing) once no marker is left on the event."""
    closed = []
    for entry in entries().find({"event_id": event_id, "state": {"$in": IN_LINE}}, {"state": 1, "customer_id": 1}):
        if entry_end(entry["_id"], from_state=entry["state"], to_state=CLOSED, at=at):
            closed.append(entry["customer_id"])
    return closed
