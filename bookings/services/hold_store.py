"""Hold documents and their markers: storage, the marker of each step, and settling a
marker whose request died (the protocol: holds.py's module docstring)."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from bookings.errors import HoldNotFound
from shared.testhooks import checkpoint
from bookings.services import markers
from bookings.services.markers import fence
from bookings.signals import hold_ended_send
from shared.ids import HOLD_ID
from shared.mongo import collection, events
from shared.timeutil import now
from events import ledger
from events.errors import EventBusy
from events.store import event_update_one

log = logging.getLogger(__name__)

# How long a step waits for another step of the same hold to finish.
WAIT_SECONDS = 10
LIVE, RELEASED, EXPIRED, BOOKED, CLOSED, VOID = "LIVE", "RELEASED", "EXPIRED", "BOOKED", "CLOSED", "VOID"
HOLD_MARKER = "hold"
# What a hold shows of its event (answers, ownership), without anyone else's holds or markers.
HOLD_EVENT = {"title": 1, "starts_at": 1, "status": 1, "types": 1}


def holds():
    return collection("holds")


def hold_insert(doc):
    """The one insert of a hold (or of its VOID fence). Raises DuplicateKeyError when its id is taken."""
    holds().insert_one(doc)


def hold_fence(*, hold_id, event_id):
    """Make sure `hold_id` never becomes a hold. True when it is fenced (or was)."""
    try:
        hold_insert({"_id": hold_id, "event_id": event_id, "state": VOID})
        return True
    except DuplicateKeyError:
        found = holds().find_one({"_id": hold_id}, {"state": 1})
        return found is not None and found["state"] == VOID


def hold_document(*, hold_id, event_id, customer_id, ticket_type, qty, expires_at, at, entry=None):
    return {
        "_id": hold_id, "event_id": event_id, "customer_id": customer_id, "type": ticket_type["id"], "qty": qty,
        "unit_price_cents": ticket_type["price_cents"], "expires_at": expires_at, "at": at, "entry": entry,
        "state": LIVE, "ended_at": None, "booking": None,
    }


def shown(doc):
    """A stored hold with `id` (the API's name for _id)."""
    return {**{key: value for key, value in doc.items() if key != "_id"}, "id": doc["_id"]}


def hold_find_live(*, hold_id, customer):
    """(event, hold) of the customer's live hold; 404 when there is none (or it is someone else's)."""
    hold = holds().find_one({"_id": hold_id}) if HOLD_ID.fullmatch(hold_id) else None
    if hold is None or hold["state"] != LIVE or hold["customer_id"] != customer.pk:
        raise HoldNotFound()
    event = events().find_one({"_id": hold["event_id"]}, HOLD_EVENT)
    return event, hold


def live_holds(event_id):
    """The event's live holds, as shown."""
    return [shown(doc) for doc in holds().find({"event_id": event_id, "state": LIVE})]


def holds_close(*, event_id, at):
    """A cancelled event's live holds end CLOSED (its counters are zeroed by the cascade after this)."""
    holds().update_many({"event_id": event_id, "state": LIVE}, {"$set": {"state": CLOSED, "ended_at": at}})


# Markers -----------------------------------------------------------------------------


def hold_marker(hold, then, at):
    return {"kind": HOLD_MARKER, "hold": hold["_id"] if "_id" in hold else hold["id"], "then": then,
            "type": hold["type"], "qty": hold["qty"], "at": at}


def hold_key(marker):
    return {"kind": HOLD_MARKER, "hold": marker["hold"], "at": marker["at"]}


def hold_marker_pull(event_id, key, move=None, more=None):
    """Pull the marker matched by `key`, with `move` and `more`, once. True when this call did."""
    extra = dict(more or {})
    update, filters = ledger.with_(move or ledger.nothing(), {**extra, "$pull": {**extra.get("$pull", {}), "pending": key}})
    done = event_update_one({"_id": event_id, "pending": {"$elemMatch": key}}, update, array_filters=filters)
    return done.modified_count == 1


def hold_mark(event_id, hold_id, marker, query=None):
    """Push `marker`, once no other step of the hold (or of its entry) is in flight; wait for
    one that is. False when the hold is no longer live."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        condition = {"_id": event_id, "pending.hold": {"$ne": hold_id}, **(query or {})}
        if event_update_one(condition, {"$push": {"pending": marker}}).modified_count:
            return True
        if holds().find_one({"_id": hold_id, "state": LIVE}, {"_id": 1}) is None:
            return False
        if time.monotonic() > deadline:
            raise EventBusy("This hold is being changed by another request; retry shortly.")
        hold_settle_stale(event_id, hold_id)
        time.sleep(0.02)


def hold_settle_stale(event_id, hold_id):
    """Settle the markers naming `hold_id` whose request must have died."""
    cutoff = now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    event = events().find_one({"_id": event_id, "pending.hold": hold_id}, {"pending": 1})
    for marker in event["pending"] if event else []:
        if marker.get("hold") == hold_id and marker["at"] <= cutoff:
            markers.settle_marker(event_id, marker)


def hold_ended(hold_id):
    """Once a hold offered by the waiting list (`entry` set) has ended: signals.hold_ended.
    (The waiting list's own reconcile pass catches up with any a crash left behind.)"""
    doc = holds().find_one({"_id": hold_id})
    if doc is None or doc.get("entry") is None or doc["state"] == LIVE:
        return
    hold_ended_send(hold=doc)


def hold_end_commit(marker):
    """Step 2 of a release or expiry: LIVE -> then. True when the hold ended under this marker."""
    query = {"_id": marker["hold"], "state": LIVE}
    if marker["then"] == EXPIRED:
        query["expires_at"] = {"$lte": marker["at"]}
    holds().update_one(query, {"$set": {"state": marker["then"], "ended_at": marker["at"]}})
    return holds().find_one({"_id": marker["hold"], "state": marker["then"], "ended_at": marker["at"]}, {"_id": 1}) is not None


def settle_hold_marker(event_id, marker):
    """Do what a hold's marker says is still owed (holds.py's module docstring): kept, restored,
    released, dropped."""
    if marker["then"] == LIVE:
        doc = holds().find_one({"_id": marker["hold"]}, {"state": 1, "event_id": 1, "at": 1})
        if doc is None and not hold_fence(hold_id=marker["hold"], event_id=event_id):
            return settle_hold_marker(event_id, marker)
        if doc is None or doc["state"] == VOID or not made_under(doc, event_id, marker):
            # Never made; or the id is another hold's (a counter that fell behind,
            # shared/ids.py): ours never landed, and the other one is not touched.
            hold_marker_pull(event_id, hold_key(marker), ledger.release(type_id=marker["type"], qty=marker["qty"]))
            return "restored"
        hold_marker_pull(event_id, hold_key(marker))
        return "kept"
    if hold_end_commit(marker):
        checkpoint("hold_end_after_commit")
        hold_marker_pull(event_id, hold_key(marker), ledger.release(type_id=marker["type"], qty=marker["qty"]))
        return "released"
    hold_marker_pull(event_id, hold_key(marker))
    return "dropped"


def made_under(doc, event_id, marker):
    """Whether the stored hold `doc` is the one a marker was pushed for (made at its moment)."""
    return doc.get("event_id") == event_id and doc.get("at") == marker["at"]


def hold_booking_rename(*, hold_id, old, new):
    """The booking claimed from a spent hold took a fresh id (its first was another
    booking's, shared/ids.py): the hold names the booking's real id. True when it does."""
    holds().update_one({"_id": hold_id, "state": BOOKED, "booking": old}, {"$set": {"booking": new}})
    return holds().find_one({"_id": hold_id, "state": BOOKED, "booking": new}, {"_id": 1}) is not None


def settle_claim_marker(event_id, marker):
    """A claim whose seats have not moved yet (its marker still names the hold): the booking id
    is fenced, the hold spent, and its seats put on sale, as a failed booking from a hold does."""
    booking_id, at = marker["booking"], marker["at"]
    key = {"booking": booking_id, "at": at, "hold": marker["hold"]}
    fence(booking_id, event_id)
    holds().update_one({"_id": marker["hold"], "state": LIVE}, {"$set": {"state": BOOKED, "booking": booking_id, "ended_at": at}})
    if holds().find_one({"_id": marker["hold"], "state": BOOKED, "booking": booking_id}, {"_id": 1}) is None:
        hold_marker_pull(event_id, key)
        return "dropped"
    hold_marker_pull(event_id, key, ledger.release(type_id=marker["type"], qty=marker["qty"]))
    hold_ended(marker["hold"])
    return "restored"


markers.settler_register(HOLD_MARKER, settle_hold_marker)
markers.settler_register("claim", settle_claim_marker)
