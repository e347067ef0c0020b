"""Seat reservation: booking_create (package docstring, "Booking")."""

import logging

from shared.testhooks import checkpoint
from bookings.rules import AS_READ, PUBLISHED, check_bookable, check_type, not_open, type_as_read
from bookings.services import idempotency
from bookings.services.cascade import cascade
from bookings.services.hold_claim import hold_claim
from bookings.services.hold_store import hold_booking_rename
from bookings.services.markers import BOOK, CONFIRMED, booking_document, marker_key, seats_of, settle_quietly
from shared.errors import Conflict
from shared.ids import BOOKING, insert_with_fresh_id, next_public_id
from shared.mongo import bookings, events
from shared.timeutil import now
from events import ledger
from events.errors import EventBusy
from events.models import EventStatus
from events.store import NO_MARKERS, event_find_one_and_update, event_update_one
from notifications.services import BOOKING_CREATED, notify

log = logging.getLogger(__name__)

EVENT_CANCELLED = EventStatus.CANCELLED.value


def booking_create(*, customer, event_id=None, qty=None, ticket_type_id=None, hold_id=None, idempotency_key=None):
    """Book `qty` seats of a ticket type of an event (`ticket_type_id` None: the event's
    only type), or the seats of the customer's hold `hold_id` (holds.py). Returns
    (booking, event, created); `created` is False when an Idempotency-Key replay
    returns the original booking."""
    order = {"event_id": event_id, "qty": qty, "ticket_type_id": ticket_type_id, "hold_id": hold_id}
    if idempotency_key is None:
        booking, event = _book(customer=customer, **order)
        return booking, event, True
    booking_id, replay = idempotency.key_claim(customer=customer, key=idempotency_key, **order)
    if replay is not None:
        return *replay, False
    held = [booking_id]

    def renamed(old, new):
        # The key must name the id the booking lands under before it lands.
        if not idempotency.key_rename(customer=customer, key=idempotency_key, old=old, new=new):
            return False
        held[0] = new
        return True

    try:
        booking, event = _book(customer=customer, **order, booking_id=booking_id, renamed=renamed)
    except Exception as exc:
        idempotency.key_release(customer=customer, key=idempotency_key, booking_id=held[0], error=exc)
        raise
    return booking, event, True


# (event id, ticket type id or None) -> those fields as this process last read them.
# Only a guess: the reservation's filter requires them as they are stored now, so a
# stale guess matches nothing and the booking reads the event (_book).
_seen = {}
SEEN_MAX = 10_000


def _reserve_filter(event_id, ticket_type, ticket_type_id, qty, moment):
    types = {"types": type_as_read(ticket_type, qty)}
    if ticket_type_id is None:
        # Booked as "the only type": it must still be the only one.
        types = {"$and": [types, {"types": {"$size": 1}}]}
    return {"_id": event_id, "status": PUBLISHED, "starts_at": {"$gt": moment}, "seats_available": {"$gte": qty}, **types}


def _guess(event_id, qty, ticket_type_id):
    """The type as last read, if its own checks pass now; None: read the event."""
    ticket_type = _seen.get((event_id, ticket_type_id))
    if ticket_type is None:
        return None
    try:
        check_type(ticket_type, qty)
    except Conflict:
        return None  # the read explains the refusal, with what is stored now
    return ticket_type


def _read_and_check(event_id, qty, ticket_type_id):
    event = events().find_one({"_id": event_id}, NO_MARKERS)
    ticket_type = check_bookable(event, qty, ticket_type_id)
    if len(_seen) >= SEEN_MAX:
        _seen.clear()
    _seen[(event_id, ticket_type_id)] = {name: ticket_type[name] for name in AS_READ}
    return ticket_type


def _book(*, customer, event_id=None, qty=None, ticket_type_id=None, hold_id=None, booking_id=None, renamed=None):
    if hold_id is not None:
        booking_id = booking_id or next_public_id(BOOKING)
        expect = {"event_id": event_id, "qty": qty, "ticket_type_id": ticket_type_id}
        reserved, ticket_type, marker = hold_claim(customer=customer, hold_id=hold_id, booking_id=booking_id, expect=expect)
        price = marker["amount_cents"] // marker["qty"]
        return _confirm(
            customer=customer, event_id=reserved["_id"], ticket_type=ticket_type, price=price, marker=marker, reserved=reserved,
            renamed=renamed, hold_id=hold_id,
        )
    # The reservation's filter decides. It first tries the type as this process last
    # read it (no read on the hot path); when that matches nothing, a read explains the
    # refusal or gives the type as it is now, and the reservation is tried again.
    ticket_type = _guess(event_id, qty, ticket_type_id)
    for _ in range(10):
        ticket_type = ticket_type or _read_and_check(event_id, qty, ticket_type_id)
        booking_id = booking_id or next_public_id(BOOKING)
        moment = now()
        price = ticket_type["price_cents"]
        marker = {"booking": booking_id, "type": ticket_type["id"], "qty": qty, "amount_cents": qty * price, "at": moment, "op": BOOK}
        # One update takes the type's seats and the event's: both limits hold at once.
        update, filters = ledger.with_(ledger.take(**seats_of(marker)), {"$push": {"pending": marker}})
        reserved = event_find_one_and_update(
            _reserve_filter(event_id, ticket_type, ticket_type_id, qty, moment), update, projection=NO_MARKERS, array_filters=filters
        )
        if reserved is not None:
            break
        ticket_type = None
        # Not matched: the next read says why, or the type changed under us and we go again.
    else:
        raise EventBusy("The event kept changing while booking; try again.")
    return _confirm(
        customer=customer, event_id=event_id, ticket_type=ticket_type, price=price, marker=marker, reserved=reserved, renamed=renamed
    )


def _confirm(*, customer, event_id, ticket_type, price, marker, reserved, renamed=None, hold_id=None):
    """Steps 2 and 3 of the protocol, after the seats are reserved under `marker`.
    `renamed(old, new)`: told when the booking takes a fresh id (_insert). `hold_id`: the
    hold this booking was claimed from, whose `booking` follows a fresh id too."""
    booking = booking_document(
        booking_id=marker["booking"],
        event_id=event_id,
        customer_id=customer.pk,
        qty=marker["qty"],
        unit_price_cents=price,
        ticket_type=ticket_type,
        status=CONFIRMED,
        created_at=marker["at"],
    )
    try:
        checkpoint("after_reserve")
        booking = _insert(booking, event_id, marker, renamed, hold_id)
    except Exception:
        # The insert may have landed even though it raised: settling decides.
        if settle_quietly(event_id, marker) != "kept":
            raise
        booking = bookings().find_one({"_id": marker["booking"]})
    booking_id = booking["_id"]
    # The organizer's notice is recorded while the marker is still there: a crash before
    # it leaves the marker, and the reconciler, settling it as kept, records the notice.
    notified = False
    try:
        checkpoint("after_insert")
        notified = notify(BOOKING_CREATED, booking=booking, event=reserved)
        checkpoint("after_notice")
        reserved = _unmark(event_id, marker) or reserved
        checkpoint("after_unmark")
    except Exception:
        log.exception("booking %s is confirmed; the reconciler will pull its seat marker", booking_id)
    if reserved["status"] != PUBLISHED and bookings().find_one({"_id": booking_id, "status": CONFIRMED}) is None:
        # The event was cancelled while this booking was made, and its cascade has cancelled
        # the booking too: the customer holds nothing, so say so rather than 201.
        raise not_open(reserved["status"])
    if not notified:
        notify(BOOKING_CREATED, booking=booking, event=reserved)
    return booking, reserved


def _insert(booking, event_id, marker, renamed, hold_id=None):
    """Insert the booking; if its id is already another booking's, under a fresh id, what
    names it following first (shared/ids.py): `renamed`'s idempotency key, the spent
    hold it was claimed from (`hold_id`), then its marker. The marker gone meanwhile
    (settled by the reconciler): IdTaken, nothing inserted."""

    def ours(existing):
        return existing["created_at"] == marker["at"] and existing["event_id"] == event_id and existing["status"] == CONFIRMED

    def follow(old, new):
        if renamed is not None and not renamed(old, new):
            return False
        if hold_id is not None and not hold_booking_rename(hold_id=hold_id, old=old, new=new):
            return False
        moved = event_update_one(
            {"_id": event_id, "pending": {"$elemMatch": marker_key(marker)}},
            {"$set": {"pending.$[m].booking": new}},
            array_filters=[{"m.booking": old, "m.at": marker["at"]}],
        )
        if not moved.matched_count:
            return False
        log.warning("booking id %s was already another booking's: this booking takes %s", old, new)
        marker["booking"] = new
        return True

    return insert_with_fresh_id(bookings(), booking, prefix=BOOKING, ours=ours, renamed=follow)


def _unmark(event_id, marker):
    """Pull a settled booking's marker; on a cancelled event, the cascade does it.
    None when pulled; otherwise the event as it is now (None if gone)."""
    # Not journaled: the booking and its notice are durable before this; lost in a crash
    # of the database, the marker is back and the reconciler settles it as kept.
    pulled = event_update_one(
        {"_id": event_id, "status": PUBLISHED, "pending": {"$elemMatch": marker_key(marker)}},
        {"$pull": {"pending": marker_key(marker)}},
        journaled=False,
    )
    if pulled.matched_count:
        return None
    doc = events().find_one({"_id": event_id}, NO_MARKERS)
    if doc is not None and doc["status"] == EVENT_CANCELLED:
        cascade(event=doc)
    return doc
