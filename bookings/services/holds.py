"""Seat holds: seats taken off sale for HOLD_MINUTES while a customer checks out
(package docstring, "Holds").

A hold is an element of its event's `holds` list; its seats moved from
seats_available to seats_held, of the event and of the hold's type, in the update
that pushed it. So capacity == seats_available + seats_held + tickets_sold at every
step, and every step is one conditional update of the event document:
 - create: the filter of a booking (PUBLISHED, future start, the type as read with
   seats enough and nobody on its waiting list) plus the customer's live held seats
   of the event + qty <= HOLD_MAX_SEATS_PER_CUSTOMER; seats -> held, hold pushed.
 - release (DELETE /holds/:id, and expiry by the reconciler so seats return with
   nobody reading): conditional on the hold being there; held -> seats, hold pulled.
 - claim (POST /bookings {holdId}, reserve.py): conditional on the hold being there,
   the caller's, unexpired, on a PUBLISHED event not started; held -> sold, hold
   pulled, the booking's `pending` marker pushed. From there on it is a booking
   (markers.py); if it fails before its insert lands, its rollback puts the seats
   back on sale, not back under the hold (the customer got an error, no booking).
A hold offered by the waiting list (`entry` set) is the waitlist's to expire or give
back; release and expiry here leave it alone.
"""

import logging
from datetime import timedelta

from django.conf import settings

from bookings.faults import fault
# A hold is refused for the reasons a booking is, checked the same way (one package).
from bookings.services.reserve import _check_bookable as check_bookable
from bookings.services.reserve import _not_open as not_open
from bookings.services.reserve import _started as started
from bookings.services.reserve import _type_as_read as type_as_read
from eventbooking.errors import Conflict, DomainError, NotFound
from eventbooking.ids import HOLD, HOLD_ID, next_public_id
from eventbooking.mongo import events
from eventbooking.timeutil import now
from bookings.services.markers import seats_of, settle_quietly
from events import ledger
from events.models import EventStatus, WaitlistState
from events.store import NO_MARKERS, event_find_one_and_update, event_update_one

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
ATTEMPTS = 10
# What a hold shows of its event (answers, ownership), without anyone else's holds or markers.
HOLD_EVENT = {"title": 1, "starts_at": 1, "status": 1, "types": 1}


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message = "No such hold (it may have been booked, released or expired)."


class HoldExpired(Conflict):
    code = "hold_expired"
    message = "This hold has expired; its seats went back on sale."


class HoldLimitReached(Conflict):
    code = "hold_limit_reached"


class HoldMismatch(DomainError):
    code = "hold_mismatch"


class HoldIsOffer(Conflict):
    code = "hold_is_waitlist_offer"
    message = "This hold is a waiting-list offer: book it, or leave the waiting list to decline it."


# Called with (event_id=, type_id=) whenever seats come back on sale, returning how many
# offers were made: the waiting list registers its seats_freed here at start-up
# (waitlist/apps.py), so bookings needs nothing of the waitlist app.
seat_listeners = []


def on_seats_freed(*, event_id, type_id):
    """The hook called after seats of `type_id` come back on sale (a hold released or
    expired, a booking cancelled or rolled back, a capacity raised): the waiting list
    has them first. Returns how many offers were made."""
    return sum(listener(event_id=event_id, type_id=type_id) for listener in seat_listeners)


def seats_freed_quietly(*, event_id, type_id):
    """on_seats_freed; 0 when it failed (logged)."""
    try:
        return on_seats_freed(event_id=event_id, type_id=type_id)
    except Exception:  # noqa: BLE001 - the seats are back either way; the reconciler's pass offers them again
        log.exception("offering the freed seats of %s %s failed", event_id, type_id)
        return 0


def _held_by(customer_id, moment):
    """$expr: the seats of the customer's live holds in the event document."""
    mine = {"$and": [{"$eq": ["$$h.customer_id", customer_id]}, {"$gt": ["$$h.expires_at", moment]}]}
    live = {"$filter": {"input": "$holds", "as": "h", "cond": mine}}
    return {"$sum": {"$map": {"input": live, "as": "h", "in": "$$h.qty"}}}


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
        hold = {
            "id": hold_id,
            "customer_id": customer.pk,
            "type": ticket_type["id"],
            "qty": qty,
            "unit_price_cents": ticket_type["price_cents"],
            "expires_at": _expiry(moment, event, ticket_type),
            "at": moment,
            "entry": None,
        }
        update, filters = ledger.with_(ledger.hold(type_id=hold["type"], qty=qty), {"$push": {"holds": hold}})
        held = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "seats_available": {"$gte": qty},
                "types": type_as_read(ticket_type, qty),
                "$expr": {"$lte": [_held_by(customer.pk, moment), most - qty]},
            },
            update,
            projection=NO_MARKERS,
            array_filters=filters,
        )
        if held is not None:
            try:
                fault("after_hold")
            except Exception:
                # Undone: the customer is told it failed. (A process killed here leaves the hold to expire.)
                _give_back(event_id, hold)
                raise
            return hold, held
        already = _seats_held_by(event_id, customer.pk, moment)
        if already + qty > most:
            raise HoldLimitReached(
                f"You may hold at most {most} seats of this event at once; you hold {already}.",
                max_held_seats=most,
                seats_held=already,
            )
        # Otherwise the next read says why, or the type changed under us and we go again.
    raise Conflict("The event kept changing while holding seats; try again.", code="event_busy")


def _expiry(moment, event, ticket_type):
    """HOLD_MINUTES from now, but never past the event's start or the end of the type's sales:
    a hold is booked under the conditions it was taken in."""
    ends = [moment + timedelta(minutes=settings.HOLD_MINUTES), event["starts_at"], ticket_type["sales_end"]]
    return min(end for end in ends if end is not None)


def _seats_held_by(event_id, customer_id, moment):
    doc = events().find_one({"_id": event_id}, {"holds": 1}) or {}
    return sum(h["qty"] for h in doc.get("holds") or [] if h["customer_id"] == customer_id and h["expires_at"] > moment)


def _find(hold_id, customer):
    """(event, hold) of the customer's hold; 404 when there is none (or it is someone else's)."""
    found = events().find_one({"holds.id": hold_id}, {**HOLD_EVENT, "holds": 1}) if HOLD_ID.fullmatch(hold_id) else None
    hold = next((h for h in found["holds"] if h["id"] == hold_id), None) if found else None
    if hold is None or hold["customer_id"] != customer.pk:
        raise HoldNotFound()
    event = {key: value for key, value in found.items() if key != "holds"}
    return event, hold


def hold_get(*, hold_id, customer):
    """(hold, event) of the customer's live hold."""
    event, hold = _find(hold_id, customer)
    return hold, event


def hold_list_mine(*, customer):
    """[(hold, event)] of the customer's live holds, oldest first."""
    moment = now()
    found = events().find({"holds.customer_id": customer.pk}, {**HOLD_EVENT, "holds": 1})
    mine = [
        (hold, {key: value for key, value in event.items() if key != "holds"})
        for event in found
        for hold in event["holds"]
        if hold["customer_id"] == customer.pk and hold["expires_at"] > moment
    ]
    return sorted(mine, key=lambda pair: (pair[0]["at"], pair[0]["id"]))


def _give_back(event_id, hold, *, expired_by=None):
    """Release the hold's seats, once: only while the hold is there (and, with
    `expired_by`, expired by then). True when this call released them."""
    match = {"id": hold["id"], "at": hold["at"], "entry": None}
    if expired_by is not None:
        match["expires_at"] = {"$lte": expired_by}
    update, filters = ledger.with_(ledger.release(type_id=hold["type"], qty=hold["qty"]), {"$pull": {"holds": {"id": hold["id"]}}})
    done = event_update_one({"_id": event_id, "holds": {"$elemMatch": match}}, update, array_filters=filters)
    if done.modified_count:
        seats_freed_quietly(event_id=event_id, type_id=hold["type"])
    return done.modified_count == 1


def hold_release(*, hold_id, customer):
    """The customer gives a hold's seats back (DELETE /holds/:id)."""
    event, hold = _find(hold_id, customer)
    if hold.get("entry") is not None:
        raise HoldIsOffer()
    if not _give_back(event["_id"], hold):
        raise HoldNotFound()  # booked or released by a racing request meanwhile


def holds_expire():
    """Release every expired hold (the reconciler's pass); returns how many."""
    moment = now()
    released = 0
    expired = {"status": PUBLISHED, "holds": {"$elemMatch": {"expires_at": {"$lte": moment}, "entry": None}}}
    for event in events().find(expired, {"holds": 1}):
        for hold in event["holds"]:
            if hold["expires_at"] <= moment and hold.get("entry") is None:
                try:
                    released += _give_back(event["_id"], hold, expired_by=moment)
                except Exception:  # noqa: BLE001 - one bad hold must not stop the pass
                    log.exception("could not release the expired hold %s of %s", hold["id"], event["_id"])
    return released


def _check_matches(event, hold, expect):
    held = {"event_id": ("eventId", event["_id"]), "qty": ("qty", hold["qty"]), "ticket_type_id": ("ticketTypeId", hold["type"])}
    for name, (field, value) in held.items():
        if expect.get(name) is not None and expect[name] != value:
            raise HoldMismatch(f"The hold is for {field} {value}; leave {field} out or give that.", field=field)


def hold_claim(*, customer, hold_id, booking_id, expect=None):
    """The reservation step of a booking made from a hold (reserve.py): the hold's seats
    become the booking's, under its `pending` marker. `expect`: eventId, qty and
    ticketTypeId the request also gave (None: not given), which must be the hold's.
    Returns (event after, ticket type, marker). 404 hold_not_found, 400 hold_mismatch,
    409 hold_expired, event_not_bookable, event_started."""
    for _ in range(ATTEMPTS):
        event, hold = _find(hold_id, customer)
        _check_matches(event, hold, expect or {})
        moment = now()
        if event["status"] != PUBLISHED:
            raise not_open(event["status"])
        if event["starts_at"] <= moment:
            raise started()
        if hold["expires_at"] <= moment:
            _give_back(event["_id"], hold, expired_by=moment)
            raise HoldExpired()
        ticket_type = next(t for t in event["types"] if t["id"] == hold["type"])
        qty, price = hold["qty"], hold["unit_price_cents"]
        marker = {"booking": booking_id, "type": hold["type"], "qty": qty, "amount_cents": qty * price, "at": moment}
        mine = {"id": hold_id, "customer_id": customer.pk, "expires_at": {"$gt": moment}}
        query = {"_id": event["_id"], "status": PUBLISHED, "starts_at": {"$gt": moment}, "holds": {"$elemMatch": mine}}
        pushed = [marker]
        followed = None
        if hold.get("entry") is not None:
            # A waiting-list offer claimed: its entry leaves the line as BOOKED, after this update,
            # under a marker of its own (the waiting list's settler finishes it).
            followed = {"kind": "entry", "entry": hold["entry"], "hold": hold_id, "then": WaitlistState.BOOKED.value,
                        "type": hold["type"], "qty": qty, "at": moment}
            pushed.append(followed)
            query["pending.entry"] = {"$ne": hold["entry"]}
        update, filters = ledger.with_(
            ledger.claim(**seats_of(marker)), {"$pull": {"holds": {"id": hold_id}}, "$push": {"pending": {"$each": pushed}}}
        )
        reserved = event_find_one_and_update(query, update, projection=NO_MARKERS, array_filters=filters)
        if reserved is not None:
            if followed is not None:
                settle_quietly(event["_id"], followed)
            return reserved, ticket_type, marker
        # The hold went or expired, or the event changed: the next read says which.
    raise Conflict("The event kept changing while booking; try again.", code="event_busy")
