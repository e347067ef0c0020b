"""Seat holds: seats taken off sale for HOLD_MINUTES while a customer checks out
(package docstring, "Holds").

A hold is a document of the `holds` collection (bookings/models.py Hold):
{_id: "HLD-0001", event_id, customer_id, type, qty, unit_price_cents, expires_at, at, entry,
state, ended_at, booking}. States: LIVE -> RELEASED (given back), EXPIRED, BOOKED (claimed;
`booking` names the booking) or CLOSED (its event was cancelled); VOID fences an id whose
hold never landed. Only LIVE holds count: their seats are the event's and the type's
`seats_held` (events/ledger.py). The event document keeps the counters and, while a step is
in flight, a marker {kind: "hold", hold, then, type, qty, at} in its bounded `pending` list;
at most one step of a hold is in flight at a time (each pushes its marker only while no
other marker names the hold). The steps:
 - create (then LIVE): the event update of a booking's filter (PUBLISHED, future start, the
   type as read with seats enough and nobody on its waiting list) moves seats on sale ->
   held and pushes the marker | the hold is inserted (the commit point) | the marker is
   pulled. Then the per-customer cap: the customer's live held seats of the event, counted
   after the insert, must be <= HOLD_MAX_SEATS_PER_CUSTOMER, else the hold is released and
   refused (of racing holds, the last to insert sees all the others, so the cap holds at rest).
 - release (DELETE /holds/:id) and expiry (the reconciler), then RELEASED / EXPIRED: marker
   pushed | hold LIVE -> then (commit; expiry also requires expires_at passed) | held ->
   on sale, marker pulled.
 - claim (POST /bookings {holdId}, reserve.py and hold_claim.py): the booking's marker pushed, naming the hold
   (no seats move yet) | hold LIVE -> BOOKED (commit: claimed at most once) | held -> sold,
   the marker's `hold` cleared: from there on it is a booking marker (markers.py), and if the
   booking fails before its insert lands its rollback puts the seats on sale, not back under
   the hold (the customer got an error, no booking).
Storage, markers and settling: hold_store.py. settle_hold_marker and settle_claim_marker do what a marker says is still owed when its
request died: fence the hold (or booking) id, then finish or undo.
A hold offered by the waiting list (`entry` set) is the waitlist's to expire or give back
(waitlist/offers.py); release and expiry here leave it alone.
A new hold whose id is already another hold's (a counter that fell behind, shared/ids.py)
takes a fresh id, its marker following first; a create marker whose id names a hold made at
another moment is settled as a hold never made (its seats back, the other hold untouched).
"""

import logging
from datetime import timedelta

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from bookings.errors import HoldIsOffer, HoldLimitReached, HoldNotFound
from shared.testhooks import checkpoint
from bookings.rules import PUBLISHED, check_bookable, type_as_read
from bookings.services.hold_store import (
    EXPIRED, HOLD_EVENT, HOLD_MARKER, LIVE, RELEASED, VOID, hold_document, hold_ended, hold_find_live, hold_key,
    hold_mark, hold_marker, hold_marker_pull, holds, made_under, settle_hold_marker, shown,
)
from bookings.services.markers import settle_quietly
from bookings.signals import seats_freed_quietly
from shared.ids import HOLD, IdTaken, insert_with_fresh_id, next_public_id
from shared.mongo import events
from shared.timeutil import now
from events import ledger
from events.errors import EventBusy
from events.store import NO_MARKERS, event_find_one_and_update, event_update_one

log = logging.getLogger(__name__)

ATTEMPTS = 10


# Create ------------------------------------------------------------------------------


def hold_create(*, customer, event_id, qty, ticket_type_id=None):
    """Hold `qty` seats of a ticket type (None: the event's only type) for HOLD_MINUTES
    (never past the event's start or the type's sales end). Refused for the reasons a booking is, and when the
    customer would hold more than HOLD_MAX_SEATS_PER_CUSTOMER seats of the event.
    Returns (hold, event)."""
    most = settings.HOLD_MAX_SEATS_PER_CUSTOMER
    hold_id = next_public_id(HOLD)
    for _ in range(ATTEMPTS):
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        ticket_type = check_bookable(event, qty, ticket_type_id)
        moment = now()
        already = _seats_held_by(event_id, customer.pk, moment)
        if already + qty > most:
            raise _over(most, already)
        hold = hold_document(hold_id=hold_id, event_id=event_id, customer_id=customer.pk, ticket_type=ticket_type, qty=qty,
                             expires_at=_expiry(moment, event, ticket_type), at=moment)
        marker = hold_marker(hold, LIVE, moment)
        update, filters = ledger.with_(ledger.hold(type_id=hold["type"], qty=qty), {"$push": {"pending": marker}})
        held = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "seats_available": {"$gte": qty},
                "types": type_as_read(ticket_type, qty),
            },
            update,
            projection=NO_MARKERS,
            array_filters=filters,
        )
        if held is not None:
            break
        # Not matched: the next read says why, or the type changed under us and we go again.
    else:
        raise EventBusy("The event kept changing while holding seats; try again.")
    try:
        checkpoint("hold_after_take")
        hold = _insert(hold, event_id, marker)
    except Exception as exc:
        settle_quietly(event_id, marker)  # the insert may have landed: settling decides
        if isinstance(exc, (DuplicateKeyError, IdTaken)):
            raise EventBusy("The event changed while holding seats; try again.") from None
        raise
    checkpoint("hold_after_insert")
    hold_marker_pull(event_id, hold_key(marker))
    already = _seats_held_by(event_id, customer.pk, moment) - qty
    if already + qty > most:
        # A racing hold of the same customer landed meanwhile: the last one in gives way.
        _end(event_id, hold, then=RELEASED)
        raise _over(most, already)
    try:
        checkpoint("after_hold")
    except Exception:
        # Undone: the customer is told it failed. (A process killed here leaves the hold to expire.)
        _end(event_id, hold, then=RELEASED)
        raise
    return shown(hold), held


def _insert(hold, event_id, marker):
    """Insert a new hold; if its id is already another hold's (a counter that fell behind),
    under a fresh id, its marker following it first (shared/ids.py). Our id fenced by
    a settler, or the marker gone meanwhile: IdTaken, nothing inserted."""

    def ours(existing):
        return existing.get("state") != VOID and made_under(existing, event_id, marker)

    def follow(old, new):
        if holds().find_one({"_id": old, "state": VOID}, {"_id": 1}) is not None:
            return False  # fenced: a settler took this request for dead
        moved = event_update_one(
            {"_id": event_id, "pending": {"$elemMatch": hold_key(marker)}},
            {"$set": {"pending.$[m].hold": new}},
            array_filters=[{"m.kind": HOLD_MARKER, "m.hold": old, "m.at": marker["at"]}],
        )
        if not moved.matched_count:
            return False
        log.warning("hold id %s was already another hold's: this hold takes %s", old, new)
        marker["hold"] = new
        return True

    return insert_with_fresh_id(holds(), hold, prefix=HOLD, ours=ours, renamed=follow)


def _over(most, already):
    return HoldLimitReached(
        f"You may hold at most {most} seats of this event at once; you hold {already}.", max_held_seats=most, seats_held=already
    )


def _expiry(moment, event, ticket_type):
    """HOLD_MINUTES from now, but never past the event's start or the end of the type's sales:
    a hold is booked under the conditions it was taken in."""
    ends = [moment + timedelta(minutes=settings.HOLD_MINUTES), event["starts_at"], ticket_type["sales_end"]]
    return min(end for end in ends if end is not None)


def _seats_held_by(event_id, customer_id, moment):
    live = holds().find({"customer_id": customer_id, "event_id": event_id, "state": LIVE, "expires_at": {"$gt": moment}}, {"qty": 1})
    return sum(doc["qty"] for doc in live)


# Read ----------------------------------------------------------------------------------


def hold_get(*, hold_id, customer):
    """(hold, event) of the customer's live hold."""
    event, hold = hold_find_live(hold_id=hold_id, customer=customer)
    return shown(hold), event


def hold_list_mine(*, customer):
    """[(hold, event)] of the customer's live holds, oldest first."""
    mine = list(holds().find({"customer_id": customer.pk, "state": LIVE, "expires_at": {"$gt": now()}}))
    event_ids = sorted({hold["event_id"] for hold in mine})
    by_id = {event["_id"]: event for event in events().find({"_id": {"$in": event_ids}}, HOLD_EVENT)} if event_ids else {}
    pairs = [(shown(hold), by_id[hold["event_id"]]) for hold in mine if hold["event_id"] in by_id]
    return sorted(pairs, key=lambda pair: (pair[0]["at"], pair[0]["id"]))


# Release, expiry ------------------------------------------------------------------------


def _end(event_id, hold, *, then, at=None):
    """End a live hold (RELEASED, or EXPIRED once expired): marker, commit, seats back. True when
    this call ended it; then its seats go to the line first."""
    marker = hold_marker(hold, then, at or now())
    if not hold_mark(event_id, marker["hold"], marker):
        return False
    checkpoint("hold_end_after_mark")
    if settle_hold_marker(event_id, marker) != "released":
        return False
    hold_ended(marker["hold"])
    seats_freed_quietly(event_id=event_id, type_id=hold["type"])
    return True


def hold_end(*, event_id, hold, then, at=None):
    """End a live hold as `then` (RELEASED; EXPIRED only once expired by `at`): the waiting
    list's offers end this way. True when this call ended it."""
    return _end(event_id, hold, then=then, at=at)


def hold_release(*, hold_id, customer):
    """The customer gives a hold's seats back (DELETE /holds/:id)."""
    event, hold = hold_find_live(hold_id=hold_id, customer=customer)
    if hold.get("entry") is not None:
        raise HoldIsOffer()
    if not _end(event["_id"], hold, then=RELEASED):
        raise HoldNotFound()  # booked or released by a racing request meanwhile


def holds_expire():
    """Release every expired hold (the reconciler's pass); returns how many."""
    moment = now()
    released = 0
    for hold in holds().find({"state": LIVE, "expires_at": {"$lte": moment}, "entry": None}):
        try:
            released += _end(hold["event_id"], hold, then=EXPIRED, at=moment)
        except Exception:  # noqa: BLE001 - one bad hold must not stop the pass
            log.exception("could not release the expired hold %s of %s", hold["_id"], hold["event_id"])
    return released
