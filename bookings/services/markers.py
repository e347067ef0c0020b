"""Seat markers: what the event document still owes a booking id, and settling it
(the rollback of an interrupted booking, the end of an interrupted cancellation).
See the package docstring for the protocol."""

import logging
from datetime import timedelta

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from bookings.models import BookingStatus
from shared.mongo import bookings, events
from shared.timeutil import now
from events import ledger
from events.store import event_update_one

log = logging.getLogger(__name__)

CONFIRMED, CANCELLED, VOID = BookingStatus.CONFIRMED.value, BookingStatus.CANCELLED.value, BookingStatus.VOID.value
# What a marker is for (its `op`): seats taken for a new booking, or given back by a
# cancellation. A marker without `op` was written before it existed: read as before.
BOOK, CANCEL = "book", "cancel"


def booking_document(
    *, booking_id, event_id, customer_id, created_at, qty=0, unit_price_cents=0, status=VOID, ticket_type=None
):
    """A booking as stored; with the defaults, the VOID tombstone that fences `booking_id`."""
    return {
        "_id": booking_id,
        "event_id": event_id,
        "customer_id": customer_id,
        "ticket_type_id": ticket_type["id"] if ticket_type else "",
        "ticket_type_name": ticket_type["name"] if ticket_type else "",
        "qty": qty,
        "unit_price_cents": unit_price_cents,
        "amount_cents": qty * unit_price_cents,
        "status": status,
        "cancelled_by_event": False,
        "created_at": created_at,
        "cancelled_at": None,
    }


def marker_key(marker):
    return {"booking": marker["booking"], "at": marker["at"]}


def seats_of(marker):
    """The ledger's arguments for the marker's seats (its type, qty, amount)."""
    return {"type_id": marker["type"], "qty": marker["qty"], "amount_cents": marker["amount_cents"]}


def _give_back(event_id, marker):
    """Return the marker's seats and pull it, once: only while the marker is there."""
    update, filters = ledger.with_(ledger.give_back(**seats_of(marker)), {"$pull": {"pending": marker_key(marker)}})
    done = event_update_one({"_id": event_id, "pending": {"$elemMatch": marker_key(marker)}}, update, array_filters=filters)
    return done.modified_count == 1


def _drop(event_id, marker):
    event_update_one({"_id": event_id}, {"$pull": {"pending": marker_key(marker)}})


def fence(booking_id, event_id, customer_id=None):
    """Make sure `booking_id` never becomes a booking. False if it already is one."""
    try:
        bookings().insert_one(
            booking_document(booking_id=booking_id, event_id=event_id, customer_id=customer_id, created_at=now())
        )
        return True
    except DuplicateKeyError:
        return bookings().find_one({"_id": booking_id}, {"status": 1})["status"] == VOID


# The settlers of markers that name no booking, by their `kind` (hold_store.py's; the
# waiting list registers its own in WaitlistConfig.ready): bookings needs nothing of the
# apps built on it. The one registry of them: settler_register.
_settlers = {}


def settler_register(kind, settle):
    """Markers of `kind` are settled by `settle(event_id, marker)`, returning what happened."""
    _settlers[kind] = settle


def settle_marker(event_id, marker):
    """Do what a marker says is still owed (package docstring). Returns what happened:
    restored, kept, finished (a cancellation completed here), released, dropped (and for
    other kinds of markers, what their settler says)."""
    if "booking" not in marker:
        return _settlers[marker["kind"]](event_id, marker)
    if marker.get("hold"):
        # A booking from a hold whose seats have not moved yet (bookings/services/holds.py).
        return _settlers["claim"](event_id, marker)
    booking_id, at = marker["booking"], marker["at"]
    booking = bookings().find_one({"_id": booking_id})
    if booking is None or booking["status"] == VOID:
        if not fence(booking_id, event_id):
            return settle_marker(event_id, marker)
        _give_back(event_id, marker)
        return "restored"
    if marker.get("op") == BOOK or booking["event_id"] != event_id:
        # A new booking's seats. The booking under its id is ours only if made with this
        # marker; any other is another booking that had the id first (a counter that fell
        # behind): ours never landed and never can, and the other one is not touched.
        if booking["created_at"] == at and booking["event_id"] == event_id:
            _drop(event_id, marker)
            return "kept" if booking["status"] == CONFIRMED else "dropped"
        _give_back(event_id, marker)
        return "restored"
    if booking["status"] == CONFIRMED and booking["created_at"] == at:
        _drop(event_id, marker)
        return "kept"
    if booking["status"] == CONFIRMED:
        flipped = bookings().update_one(
            {"_id": booking_id, "status": CONFIRMED}, {"$set": {"status": CANCELLED, "cancelled_at": at}}
        )
        outcome = settle_marker(event_id, marker)
        return "finished" if flipped.modified_count and outcome == "released" else outcome
    if booking["cancelled_at"] == at:
        _give_back(event_id, marker)
        return "released"
    _drop(event_id, marker)
    return "dropped"


def settle_stale(event_id, booking_id):
    """Settle the markers of `booking_id` whose request must have died."""
    cutoff = now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    event = events().find_one({"_id": event_id, "pending.booking": booking_id}, {"pending": 1})
    for marker in event["pending"] if event else []:
        if marker.get("booking") == booking_id and marker["at"] <= cutoff:
            settle_marker(event_id, marker)


def settle_quietly(event_id, marker):
    try:
        return settle_marker(event_id, marker)
    except Exception:
        log.exception("settling the marker of %s failed; the reconciler will", marker.get("booking") or marker.get("entry"))
        return "failed"
