"""Booking writes, correct without transactions.

The invariant, for every event at rest:
    capacity == seats_available + sum(qty of its CONFIRMED bookings),
and tickets_sold / revenue_cents are the sums of qty / amount_cents over them.

Seats only move in one conditional update of the event document, which also
pushes or pulls a marker {booking, qty, amount_cents, at} in its `pending` list.
A marker says "seats are in flight for this booking id":

Booking (booking_create)
 1. Reserve: seats down, sold and revenue up, marker pushed, in one update whose
    filter requires PUBLISHED, a future start, enough seats and the price read.
 2. Insert the booking, created_at == marker.at. This is the commit point.
 3. Pull the marker, then notify.
 Failing before the insert lands: the booking id is fenced with a VOID
 tombstone (same _id, so a late insert of the booking can never land), then the
 seats are restored and the marker pulled in one update conditional on the marker.

Cancelling (booking_cancel)
 1. Push a marker (counters unchanged) unless the booking has one already.
 2. Flip the booking CONFIRMED -> CANCELLED with cancelled_at == marker.at; the
    update is conditional on CONFIRMED, so one request wins. The commit point.
 3. Return the seats and pull the marker in one update conditional on the marker.

So a marker always says what is still owed (settle_marker):
 - booking absent or VOID: an interrupted booking -> fence, restore the seats;
 - CONFIRMED, created_at == at: a settled booking -> pull the marker;
 - CONFIRMED otherwise: an interrupted cancellation -> finish it (flip, release);
 - CANCELLED, cancelled_at == at: a committed cancellation -> release;
 - CANCELLED otherwise: a cancellation that lost a race -> pull the marker.
The request that made a marker settles it; the reconciler settles markers older
than RECONCILE_AFTER_SECONDS (their request died). Both may act at the same
time: every step is conditional, so the second one changes nothing.

Cancelled events (bookings_cancel_for_event): no marker can be added to them, so
the cascade flips every CONFIRMED booking, settles the markers left, and then sets
the counters to "nothing sold" in one update that requires `pending == []`.
"""

import hashlib
import json
import logging
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from rest_framework.exceptions import PermissionDenied

from bookings import notifications
from bookings.faults import fault
from bookings.models import BookingStatus
from eventbooking.errors import Conflict, DomainError, NotFound, Unprocessable
from eventbooking.mongo import collection, next_public_id
from eventbooking.timeutil import aware, now
from events.cache import event_cache_invalidate
from events.models import EventStatus
from events.services import NO_MARKERS, EventNotFound

log = logging.getLogger(__name__)

CONFIRMED, CANCELLED, VOID = BookingStatus.CONFIRMED.value, BookingStatus.CANCELLED.value, BookingStatus.VOID.value
PUBLISHED = EventStatus.PUBLISHED.value
EVENT_CANCELLED = EventStatus.CANCELLED.value
# How long a request waits for another one holding the same booking or key.
WAIT_SECONDS = 10


class EventNotBookable(Conflict):
    code = "event_not_bookable"


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message = "No such booking."


class BookingNotCancellable(Conflict):
    code = "booking_not_cancellable"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


def events():
    return collection("events")


def bookings():
    return collection("bookings")


def idempotency_keys():
    return collection("idempotency_keys")


# Booking ---------------------------------------------------------------------


def booking_create(*, customer, event_id, qty, idempotency_key=None):
    """Book `qty` seats of an event. Returns (booking, event, created); `created`
    is False when an Idempotency-Key replay returns the original booking."""
    if idempotency_key is not None:
        return _book_once(customer=customer, event_id=event_id, qty=qty, key=idempotency_key)
    booking, event = _book(customer=customer, event_id=event_id, qty=qty)
    return booking, event, True


def _check_bookable(event, qty):
    if event is None:
        raise EventNotFound()
    if event["status"] != PUBLISHED:
        raise EventNotBookable(f"This event is {event['status'].lower()}, not open for booking.", status=event["status"])
    if aware(event["starts_at"]) <= now():
        raise EventNotBookable("This event has already started.", code="event_started")
    if event["seats_available"] < qty:
        left = event["seats_available"]
        raise NotEnoughSeats(f"Only {left} seat{'s' if left != 1 else ''} left.", seats_available=left)


def _book(*, customer, event_id, qty, booking_id=None):
    # The read only fetches the price and explains refusals; the update's filter decides.
    for _ in range(10):
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        _check_bookable(event, qty)
        booking_id = booking_id or next_public_id("BK")
        moment = now()
        price = event["price_cents"]
        marker = {"booking": booking_id, "qty": qty, "amount_cents": qty * price, "at": moment}
        reserved = events().find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "seats_available": {"$gte": qty},
                "price_cents": price,
            },
            {"$inc": _seat_change(marker, -1), "$push": {"pending": marker}},
            projection=NO_MARKERS,
            return_document=ReturnDocument.AFTER,
        )
        if reserved is not None:
            break
        # Not matched: the next read says why, or the price changed under us and we go again.
    else:
        raise Conflict("The event kept changing while booking; try again.", code="event_busy")
    event_cache_invalidate(event_id)

    booking = {
        "_id": booking_id,
        "event_id": event_id,
        "customer_id": customer.pk,
        "qty": qty,
        "unit_price_cents": price,
        "amount_cents": qty * price,
        "status": CONFIRMED,
        "cancelled_by_event": False,
        "created_at": moment,
        "cancelled_at": None,
    }
    try:
        fault("after_reserve")
        bookings().insert_one(booking)
    except Exception:
        # The insert may have landed even though it raised: settling decides.
        if _settle_quietly(event_id, marker) != "kept":
            raise
    try:
        fault("after_insert")
        reserved = _unmark(event_id, marker) or reserved
        fault("after_unmark")
    except Exception:
        log.exception("booking %s is confirmed; the reconciler will pull its seat marker", booking_id)
    _notify(notifications.notify_booking_created, booking=booking, event=reserved)
    return booking, reserved


def _unmark(event_id, marker):
    """Pull a settled booking's marker; on a cancelled event, the cascade does it."""
    doc = events().find_one_and_update(
        {"_id": event_id, "status": PUBLISHED, "pending": {"$elemMatch": _marker_key(marker)}},
        {"$pull": {"pending": _marker_key(marker)}},
        projection=NO_MARKERS,
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:
        doc = events().find_one({"_id": event_id}, NO_MARKERS)
        if doc is not None and doc["status"] == EVENT_CANCELLED:
            _cascade(event=doc)
    return doc


# Idempotency-Key --------------------------------------------------------------


def _book_once(*, customer, event_id, qty, key):
    """One booking per (customer, key): the unique index on the pair decides which
    request books; the others wait for its booking and return it."""
    digest = hashlib.sha256(json.dumps({"event_id": event_id, "qty": qty}, sort_keys=True).encode()).hexdigest()
    booking_id = next_public_id("BK")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        held = _key_claim(customer=customer, key=key, digest=digest, booking_id=booking_id)
        if held is None:
            break
        booking = bookings().find_one({"_id": held["booking_id"]})
        if booking is not None and booking["status"] != VOID:
            return booking, events().find_one({"_id": booking["event_id"]}, NO_MARKERS), False
        # The holder failed (VOID), or went silent long ago: fence its booking id so it
        # can never land, and take the key over.
        stale = aware(held["created_at"]) <= now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
        dead = booking is not None or (stale and _fence(held["booking_id"], event_id, customer.pk))
        if dead and _key_take(held, booking_id, digest):
            break
        if not dead:
            if time.monotonic() > deadline:
                raise IdempotencyKeyInUse()
            time.sleep(0.05)
    try:
        booking, event = _book(customer=customer, event_id=event_id, qty=qty, booking_id=booking_id)
    except Exception as exc:
        # Nothing was booked: free the key so that a retry with it may book.
        if isinstance(exc, DomainError) or bookings().find_one({"_id": booking_id, "status": VOID}):
            idempotency_keys().delete_one({"customer_id": customer.pk, "key": key, "booking_id": booking_id})
        raise
    return booking, event, True


def _key_claim(*, customer, key, digest, booking_id):
    """None when this request now holds the key; otherwise the row of the request that does."""
    expiry = timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    while True:
        moment = now()
        try:
            idempotency_keys().insert_one(
                {"customer_id": customer.pk, "key": key, "request_hash": digest, "booking_id": booking_id, "created_at": moment}
            )
            return None
        except DuplicateKeyError:
            held = idempotency_keys().find_one({"customer_id": customer.pk, "key": key})
        if held is None:
            continue
        if aware(held["created_at"]) <= moment - expiry:
            if _key_take(held, booking_id, digest):
                return None
            continue
        if held["request_hash"] != digest:
            raise IdempotencyKeyReused()
        return held


def _key_take(held, booking_id, digest):
    taken = idempotency_keys().update_one(
        {"_id": held["_id"], "booking_id": held["booking_id"]},
        {"$set": {"booking_id": booking_id, "request_hash": digest, "created_at": now()}},
    )
    return taken.modified_count == 1


# Cancelling -------------------------------------------------------------------


def booking_cancel(*, booking_id, actor, as_staff=False):
    """The owner cancels a confirmed booking before its event starts; seats return.
    Returns (booking, event). Of two racing requests exactly one succeeds.
    The admin passes `as_staff=True`: staff cancel any customer's booking this same way."""
    if as_staff and not actor.is_staff:
        raise PermissionDenied("Only staff may cancel another customer's booking.")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        booking = bookings().find_one({"_id": booking_id})
        if booking is None or booking["status"] == VOID:
            raise BookingNotFound()
        if booking["customer_id"] != actor.pk and not as_staff:
            raise PermissionDenied("Only the customer who made this booking may cancel it.")
        if booking["status"] != CONFIRMED:
            raise BookingNotCancellable("This booking is already cancelled.", code="booking_already_cancelled")
        event_id = booking["event_id"]
        moment = now()
        marker = {"booking": booking_id, "qty": booking["qty"], "amount_cents": booking["amount_cents"], "at": moment}
        marked = events().update_one(
            {"_id": event_id, "status": PUBLISHED, "starts_at": {"$gt": moment}, "pending.booking": {"$ne": booking_id}},
            {"$push": {"pending": marker}},
        )
        if marked.modified_count:
            break
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        if event["status"] != PUBLISHED:
            raise BookingNotCancellable("The event is cancelled; its bookings are cancelled with it.", code="event_cancelled")
        if aware(event["starts_at"]) <= moment:
            raise BookingNotCancellable("The event has started; the booking can no longer be cancelled.", code="event_started")
        # Another request holds this booking's seats (a racing cancel, or the booking's own
        # marker not pulled yet): wait for it, then look again. One that died is settled here.
        _settle_stale(event_id, booking_id)
        if time.monotonic() > deadline:
            raise Conflict("This booking is being changed by another request; retry shortly.", code="booking_busy")
        time.sleep(0.02)

    try:
        fault("cancel_after_mark")
        bookings().update_one({"_id": booking_id, "status": CONFIRMED}, {"$set": {"status": CANCELLED, "cancelled_at": moment}})
        fault("cancel_after_flip")
    except Exception:
        log.exception("cancellation of %s interrupted; finishing it now", booking_id)
    # Ours: return the seats. A racing request's: drop our marker. Failing here: the reconciler will.
    _settle_quietly(event_id, marker)
    booking = bookings().find_one({"_id": booking_id})
    if booking["status"] != CANCELLED:
        raise RuntimeError(f"cancellation of {booking_id} could not be completed")
    if aware(booking["cancelled_at"]) != moment:
        raise BookingNotCancellable("This booking is already cancelled.", code="booking_already_cancelled")
    event = events().find_one({"_id": event_id}, NO_MARKERS)
    _notify(notifications.notify_booking_cancelled, booking=booking, event=event)
    return booking, event


def bookings_cancel_for_event(*, event):
    """Cancel the bookings of a CANCELLED event and zero its counters (called by
    events.services.event_cancel). The event's cancellation stands whatever happens
    here: a failure is logged and the reconciler finishes the cascade."""
    try:
        return _cascade(event=event)
    except Exception:
        log.exception("cancelling the bookings of %s stopped; the reconciler will finish", event["_id"])
        return 0


def _cascade(*, event, older_than_seconds=None):
    """Safe to run again, and concurrently. Returns how many bookings this call cancelled."""
    event_id = event["_id"]
    moment = now()
    cutoff = moment - timedelta(seconds=_reconcile_after(older_than_seconds))
    customers = []
    while True:
        for booking in bookings().find({"event_id": event_id, "status": CONFIRMED}, {"_id": 1}):
            customers += _cancel_by_event(booking["_id"], moment)
        fault("cascade_after_flip")
        current = events().find_one({"_id": event_id})
        if current["status"] != EVENT_CANCELLED:
            raise ValueError(f"{event_id} is not cancelled")
        if not current["pending"]:
            zeroed = events().update_one(
                {"_id": event_id, "status": EVENT_CANCELLED, "pending": []},
                {"$set": {"seats_available": current["capacity"], "tickets_sold": 0, "revenue_cents": 0}},
            )
            if zeroed.matched_count:
                break
            continue
        waiting = False
        for marker in current["pending"]:
            if aware(marker["at"]) > cutoff and bookings().find_one({"_id": marker["booking"]}, {"_id": 1}) is None:
                # Its request is still running; once its booking lands it calls us again.
                waiting = True
                continue
            customers += _cancel_by_event(marker["booking"], moment)
            settle_marker(event_id, marker)
        if waiting:
            break
    event_cache_invalidate(event_id)
    if customers:
        current = events().find_one({"_id": event_id}, NO_MARKERS)
        _notify(notifications.notify_event_cancelled, event=current, customer_ids=sorted(set(customers), key=str))
    return len(customers)


def _cancel_by_event(booking_id, moment):
    """[customer id] when this call cancelled the booking, else []."""
    doc = bookings().find_one_and_update(
        {"_id": booking_id, "status": CONFIRMED},
        {"$set": {"status": CANCELLED, "cancelled_by_event": True, "cancelled_at": moment}},
        projection={"customer_id": 1},
    )
    return [doc["customer_id"]] if doc else []


# Markers ----------------------------------------------------------------------


def _marker_key(marker):
    return {"booking": marker["booking"], "at": marker["at"]}


def _seat_change(marker, sign):
    """Counter changes taking (sign -1) or giving back (sign +1) the marker's seats."""
    return {
        "seats_available": sign * marker["qty"],
        "tickets_sold": -sign * marker["qty"],
        "revenue_cents": -sign * marker["amount_cents"],
    }


def _give_back(event_id, marker):
    """Return the marker's seats and pull it, once: only while the marker is there."""
    done = events().update_one(
        {"_id": event_id, "pending": {"$elemMatch": _marker_key(marker)}},
        {"$inc": _seat_change(marker, +1), "$pull": {"pending": _marker_key(marker)}},
    )
    if done.modified_count:
        event_cache_invalidate(event_id)
    return done.modified_count == 1


def _drop(event_id, marker):
    events().update_one({"_id": event_id}, {"$pull": {"pending": _marker_key(marker)}})


def _fence(booking_id, event_id, customer_id=None):
    """Make sure `booking_id` never becomes a booking. False if it already is one."""
    try:
        bookings().insert_one(
            {
                "_id": booking_id,
                "event_id": event_id,
                "customer_id": customer_id,
                "qty": 0,
                "unit_price_cents": 0,
                "amount_cents": 0,
                "status": VOID,
                "cancelled_by_event": False,
                "created_at": now(),
                "cancelled_at": None,
            }
        )
        return True
    except DuplicateKeyError:
        return bookings().find_one({"_id": booking_id}, {"status": 1})["status"] == VOID


def settle_marker(event_id, marker):
    """Do what a marker says is still owed (module docstring). Returns what happened:
    restored, kept, finished (a cancellation completed here), released, dropped."""
    booking_id, at = marker["booking"], aware(marker["at"])
    booking = bookings().find_one({"_id": booking_id})
    if booking is None or booking["status"] == VOID:
        if not _fence(booking_id, event_id):
            return settle_marker(event_id, marker)
        _give_back(event_id, marker)
        return "restored"
    if booking["status"] == CONFIRMED and aware(booking["created_at"]) == at:
        _drop(event_id, marker)
        return "kept"
    if booking["status"] == CONFIRMED:
        flipped = bookings().update_one(
            {"_id": booking_id, "status": CONFIRMED}, {"$set": {"status": CANCELLED, "cancelled_at": at}}
        )
        outcome = settle_marker(event_id, marker)
        return "finished" if flipped.modified_count and outcome == "released" else outcome
    if aware(booking["cancelled_at"]) == at:
        _give_back(event_id, marker)
        return "released"
    _drop(event_id, marker)
    return "dropped"


def _settle_stale(event_id, booking_id):
    cutoff = now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    event = events().find_one({"_id": event_id, "pending.booking": booking_id}, {"pending": 1})
    for marker in event["pending"] if event else []:
        if marker["booking"] == booking_id and aware(marker["at"]) <= cutoff:
            settle_marker(event_id, marker)


def _settle_quietly(event_id, marker):
    try:
        return settle_marker(event_id, marker)
    except Exception:
        log.exception("settling the marker of %s failed; the reconciler will", marker["booking"])
        return "failed"


# Reconciler -------------------------------------------------------------------


def _reconcile_after(seconds):
    return settings.RECONCILE_AFTER_SECONDS if seconds is None else seconds


def bookings_reconcile(*, older_than_seconds=None):
    """Settle the markers of requests that died (older than the threshold), finish
    the cascades of cancelled events, forget expired idempotency keys. Returns counts."""
    seconds = _reconcile_after(older_than_seconds)
    cutoff = now() - timedelta(seconds=seconds)
    done = Counter()
    for event in events().find({"status": PUBLISHED, "pending.at": {"$lte": cutoff}}, {"pending": 1}):
        for marker in event["pending"]:
            if aware(marker["at"]) > cutoff:
                continue
            outcome = settle_marker(event["_id"], marker)
            done[outcome] += 1
            if outcome == "finished":
                booking = bookings().find_one({"_id": marker["booking"]})
                _notify(notifications.notify_booking_cancelled, booking=booking, event=events().find_one({"_id": event["_id"]}, NO_MARKERS))
    # A cancelled event still counting tickets has bookings or markers left to settle.
    for event in events().find({"status": EVENT_CANCELLED, "tickets_sold": {"$gt": 0}}, NO_MARKERS):
        done["cancelled_by_event"] += _cascade(event=event, older_than_seconds=seconds)
        done["cascades"] += 1
    expired = now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    done["keys_expired"] = idempotency_keys().delete_many({"created_at": {"$lte": expired}}).deleted_count
    return {name: count for name, count in done.items() if count}


def _notify(send, **kwargs):
    # After the booking is settled; a notification failing must not touch it.
    try:
        send(**kwargs)
    except Exception:
        log.exception("%s failed", send.__name__)
