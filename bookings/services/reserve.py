"""Seat reservation: booking_create (package docstring, "Booking")."""

import logging

from bookings.faults import fault
from bookings.services import idempotency
from bookings.services.cascade import cascade
from bookings.services.markers import CONFIRMED, booking_document, marker_key, seat_change, settle_quietly
from eventbooking.errors import Conflict
from eventbooking.ids import BOOKING, next_public_id
from eventbooking.mongo import bookings, events
from eventbooking.timeutil import now
from events.models import EventStatus
from events.services import EventNotFound
from events.store import NO_MARKERS, event_find_one_and_update
from notifications.services import BOOKING_CREATED, notify

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
EVENT_CANCELLED = EventStatus.CANCELLED.value


class EventNotBookable(Conflict):
    code = "event_not_bookable"


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"


def booking_create(*, customer, event_id, qty, idempotency_key=None):
    """Book `qty` seats of an event. Returns (booking, event, created); `created`
    is False when an Idempotency-Key replay returns the original booking."""
    if idempotency_key is None:
        booking, event = _book(customer=customer, event_id=event_id, qty=qty)
        return booking, event, True
    booking_id, replay = idempotency.key_claim(customer=customer, key=idempotency_key, event_id=event_id, qty=qty)
    if replay is not None:
        return *replay, False
    try:
        booking, event = _book(customer=customer, event_id=event_id, qty=qty, booking_id=booking_id)
    except Exception as exc:
        idempotency.key_release(customer=customer, key=idempotency_key, booking_id=booking_id, error=exc)
        raise
    return booking, event, True


def _check_bookable(event, qty):
    if event is None:
        raise EventNotFound()
    if event["status"] != PUBLISHED:
        raise EventNotBookable(f"This event is {event['status'].lower()}, not open for booking.", status=event["status"])
    if event["starts_at"] <= now():
        raise EventNotBookable("This event has already started.", code="event_started")
    if event["seats_available"] < qty:
        left = event["seats_available"]
        raise NotEnoughSeats(f"Only {left} seat{'s' if left != 1 else ''} left.", seats_available=left)


def _book(*, customer, event_id, qty, booking_id=None):
    # The read only fetches the price and explains refusals; the update's filter decides.
    for _ in range(10):
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        _check_bookable(event, qty)
        booking_id = booking_id or next_public_id(BOOKING)
        moment = now()
        price = event["price_cents"]
        marker = {"booking": booking_id, "qty": qty, "amount_cents": qty * price, "at": moment}
        reserved = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "seats_available": {"$gte": qty},
                "price_cents": price,
            },
            {"$inc": seat_change(marker, -1), "$push": {"pending": marker}},
            projection=NO_MARKERS,
        )
        if reserved is not None:
            break
        # Not matched: the next read says why, or the price changed under us and we go again.
    else:
        raise Conflict("The event kept changing while booking; try again.", code="event_busy")

    booking = booking_document(
        booking_id=booking_id,
        event_id=event_id,
        customer_id=customer.pk,
        qty=qty,
        unit_price_cents=price,
        status=CONFIRMED,
        created_at=moment,
    )
    try:
        fault("after_reserve")
        bookings().insert_one(booking)
    except Exception:
        # The insert may have landed even though it raised: settling decides.
        if settle_quietly(event_id, marker) != "kept":
            raise
    try:
        fault("after_insert")
        reserved = _unmark(event_id, marker) or reserved
        fault("after_unmark")
    except Exception:
        log.exception("booking %s is confirmed; the reconciler will pull its seat marker", booking_id)
    notify(BOOKING_CREATED, booking=booking, event=reserved)
    return booking, reserved


def _unmark(event_id, marker):
    """Pull a settled booking's marker; on a cancelled event, the cascade does it."""
    doc = event_find_one_and_update(
        {"_id": event_id, "status": PUBLISHED, "pending": {"$elemMatch": marker_key(marker)}},
        {"$pull": {"pending": marker_key(marker)}},
        projection=NO_MARKERS,
    )
    if doc is None:
        doc = events().find_one({"_id": event_id}, NO_MARKERS)
        if doc is not None and doc["status"] == EVENT_CANCELLED:
            cascade(event=doc)
    return doc
