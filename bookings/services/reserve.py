"""Seat reservation: booking_create (package docstring, "Booking")."""

import logging

from django.apps import apps

from bookings.faults import fault
from bookings.services import idempotency
from bookings.services.cascade import cascade
from bookings.services.markers import BOOK, CONFIRMED, booking_document, marker_key, seats_of, settle_quietly
from eventbooking.errors import Conflict
from eventbooking.ids import BOOKING, insert_with_fresh_id, next_public_id
from eventbooking.mongo import bookings, events
from eventbooking.timeutil import now
from events import ledger
from events.models import EventStatus
from events.services import EventNotFound
from events.store import NO_MARKERS, event_find_one_and_update, event_update_one
from events.ticket_types import type_for_booking
from notifications.services import BOOKING_CREATED, notify

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
EVENT_CANCELLED = EventStatus.CANCELLED.value


class EventNotBookable(Conflict):
    code = "event_not_bookable"


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"


class TicketTypeNotOnSale(Conflict):
    code = "ticket_type_not_on_sale"


class OverTypeMaximum(Conflict):
    code = "over_ticket_type_maximum"


class SeatsOwedToWaitlist(Conflict):
    code = "seats_owed_to_waitlist"


def _not_open(status):
    return EventNotBookable(f"This event is {status.lower()}, not open for booking.", status=status)


def _started():
    return EventNotBookable("This event has already started.", code="event_started")


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


def _check_bookable(event, qty, ticket_type_id):
    """The type to book, or the refusal: the event's, then the type's."""
    if event is None or event["status"] == EventStatus.DRAFT:
        # A draft is nobody's business but its organizer's (who cannot book): the 404
        # of an id that does not exist, as GET /events/:id and the waiting list answer.
        raise EventNotFound()
    if event["status"] != PUBLISHED:
        raise _not_open(event["status"])
    if event["starts_at"] <= now():
        raise _started()
    ticket_type = type_for_booking(event=event, ticket_type_id=ticket_type_id)
    _check_type(ticket_type, qty)
    left = min(event["seats_available"], ticket_type["seats_available"])
    if left < qty:
        raise NotEnoughSeats(_seats_left(event, ticket_type, left), seats_available=left, ticket_type_id=ticket_type["id"])
    if ticket_type.get("waitlist_waiting", 0) > 0:
        raise SeatsOwedToWaitlist(
            "Customers are waiting for these seats: join the waiting list.", ticket_type_id=ticket_type["id"]
        )
    return ticket_type


def _seats_left(event, ticket_type, left):
    """The message of not_enough_seats: how many are left, or that the type is sold out,
    with the waiting list as the way on when the project has one."""
    waitlist = apps.is_installed("waitlist")
    if left == 0:
        sold_out = f"{ticket_type['name']} is sold out."
        return f"{sold_out} Join the waiting list: POST /events/{event['_id']}/waitlist." if waitlist else sold_out
    return f"Only {left} seat{'s' if left != 1 else ''} left."


def _check_type(ticket_type, qty):
    """The type's own refusals: its sale window now, its maximum per booking."""
    moment = now()
    window = {"sales_start": ticket_type["sales_start"], "sales_end": ticket_type["sales_end"]}
    if window["sales_start"] is not None and moment < window["sales_start"]:
        raise TicketTypeNotOnSale(f"Sales of {ticket_type['name']} have not started.", ticket_type_id=ticket_type["id"], **window)
    if window["sales_end"] is not None and moment >= window["sales_end"]:
        raise TicketTypeNotOnSale(f"Sales of {ticket_type['name']} have ended.", ticket_type_id=ticket_type["id"], **window)
    most = ticket_type["max_per_booking"]
    if most is not None and qty > most:
        raise OverTypeMaximum(f"At most {most} {ticket_type['name']} tickets per booking.", max_per_booking=most)


# The conditions of a type a booking is checked against and the reservation's filter
# requires unchanged (the name too: the booking keeps it).
AS_READ = ("id", "name", "price_cents", "sales_start", "sales_end", "max_per_booking")
# (event id, ticket type id or None) -> those fields as this process last read them.
# Only a guess: the reservation's filter requires them as they are stored now, so a
# stale guess matches nothing and the booking reads the event (_book).
_seen = {}
SEEN_MAX = 10_000


def _type_as_read(ticket_type, qty):
    """The type's conditions in the reservation's filter: seats enough, and the price,
    sale window and maximum the request was checked against, unchanged since, and nobody
    on its waiting list (the seats are theirs then)."""
    seats = {"seats_available": {"$gte": qty}, "waitlist_waiting": {"$not": {"$gt": 0}}}
    return {"$elemMatch": {**{name: ticket_type[name] for name in AS_READ}, **seats}}


def _reserve_filter(event_id, ticket_type, ticket_type_id, qty, moment):
    types = {"types": _type_as_read(ticket_type, qty)}
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
        _check_type(ticket_type, qty)
    except Conflict:
        return None  # the read explains the refusal, with what is stored now
    return ticket_type


def _read_and_check(event_id, qty, ticket_type_id):
    event = events().find_one({"_id": event_id}, NO_MARKERS)
    ticket_type = _check_bookable(event, qty, ticket_type_id)
    if len(_seen) >= SEEN_MAX:
        _seen.clear()
    _seen[(event_id, ticket_type_id)] = {name: ticket_type[name] for name in AS_READ}
    return ticket_type


def _book(*, customer, event_id=None, qty=None, ticket_type_id=None, hold_id=None, booking_id=None, renamed=None):
    if hold_id is not None:
        from bookings.services.holds import hold_claim  # holds.py builds on this module

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
        raise Conflict("The event kept changing while booking; try again.", code="event_busy")
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
        fault("after_reserve")
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
        fault("after_insert")
        notified = notify(BOOKING_CREATED, booking=booking, event=reserved)
        fault("after_notice")
        reserved = _unmark(event_id, marker) or reserved
        fault("after_unmark")
    except Exception:
        log.exception("booking %s is confirmed; the reconciler will pull its seat marker", booking_id)
    if reserved["status"] != PUBLISHED and bookings().find_one({"_id": booking_id, "status": CONFIRMED}) is None:
        # The event was cancelled while this booking was made, and its cascade has cancelled
        # the booking too: the customer holds nothing, so say so rather than 201.
        raise _not_open(reserved["status"])
    if not notified:
        notify(BOOKING_CREATED, booking=booking, event=reserved)
    return booking, reserved


def _insert(booking, event_id, marker, renamed, hold_id=None):
    """Insert the booking; if its id is already another booking's, under a fresh id, what
    names it following first (eventbooking/ids.py): `renamed`'s idempotency key, the spent
    hold it was claimed from (`hold_id`), then its marker. The marker gone meanwhile
    (settled by the reconciler): IdTaken, nothing inserted."""

    def ours(existing):
        return existing["created_at"] == marker["at"] and existing["event_id"] == event_id and existing["status"] == CONFIRMED

    def follow(old, new):
        from bookings.services.holds import hold_booking_rename  # holds.py builds on this module

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
    pulled = event_update_one(
        {"_id": event_id, "status": PUBLISHED, "pending": {"$elemMatch": marker_key(marker)}},
        {"$pull": {"pending": marker_key(marker)}},
    )
    if pulled.matched_count:
        return None
    doc = events().find_one({"_id": event_id}, NO_MARKERS)
    if doc is not None and doc["status"] == EVENT_CANCELLED:
        cascade(event=doc)
    return doc
