"""Idempotency-Key: one booking per (customer, key). The unique index on the pair
decides which request books; the others wait for its booking and return it."""

import hashlib
import json
import time
from datetime import timedelta

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from bookings.errors import IdempotencyKeyInUse, IdempotencyKeyReused
from bookings.services.markers import VOID, fence
from shared.errors import DomainError
from shared.ids import BOOKING, next_public_id
from shared.mongo import bookings, collection, events, idempotency_keys
from shared.timeutil import now
from events.store import NO_MARKERS

# How long a request waits for another one holding the same key.
WAIT_SECONDS = 10


def key_claim(*, customer, key, event_id=None, qty=None, ticket_type_id=None, hold_id=None):
    """(booking_id, None) when this request now holds the key and books under that id;
    (None, (booking, event)) when the key already answered: the replay. A booking
    made from a hold is the request {hold_id}."""
    request = {"event_id": event_id, "qty": qty}
    if ticket_type_id is not None:
        # Only when given: a key sent without a type keeps the digest it had before types.
        request["ticket_type_id"] = ticket_type_id
    if hold_id is not None:
        request = {"hold_id": hold_id}
        # The event whose seats a dead holder of the key may have taken (for its fence).
        event_id = (collection("holds").find_one({"_id": hold_id}, {"event_id": 1}) or {}).get("event_id")
    digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    booking_id = next_public_id(BOOKING)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        held = _claim(customer=customer, key=key, digest=digest, booking_id=booking_id)
        if held is None:
            return booking_id, None
        booking = bookings().find_one({"_id": held["booking_id"]})
        stale = held["created_at"] <= now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
        if booking is not None and not _made_under(booking, held):
            # Another booking had the id first (shared/ids.py): never answered here. The
            # holder takes a fresh id, renaming the key, unless it went silent long ago: then
            # the key is taken over, and its rename (conditional on the old id) fails.
            dead = stale
        elif booking is not None and booking["status"] != VOID:
            return None, (booking, events().find_one({"_id": booking["event_id"]}, NO_MARKERS))
        else:
            # The holder failed (VOID), or went silent long ago: fence its booking id so it
            # can never land, and take the key over.
            dead = booking is not None or (stale and fence(held["booking_id"], event_id, customer.pk))
        if dead and _take(held, booking_id, digest):
            return booking_id, None
        if not dead:
            if time.monotonic() > deadline:
                raise IdempotencyKeyInUse()
            time.sleep(0.05)


def _made_under(booking, held):
    """Whether `booking` is the one the key's request made: the key's customer's, made after
    the key was taken (by the same process, so on the same clock). A VOID fence of the
    key's id counts as its own."""
    if booking["status"] == VOID:
        return True
    return booking["customer_id"] == held["customer_id"] and booking["created_at"] >= held["created_at"]


def key_rename(*, customer, key, old, new):
    """The key's booking takes the fresh id `new` instead of `old` (another booking had it).
    False: the key is no longer this request's (taken over): it must not book."""
    moved = idempotency_keys().update_one(
        {"customer_id": customer.pk, "key": key, "booking_id": old}, {"$set": {"booking_id": new}}
    )
    return moved.matched_count == 1


def key_release(*, customer, key, booking_id, error):
    """After booking under the key failed with `error`: if nothing was booked, free
    the key so that a retry with it may book."""
    if isinstance(error, DomainError) or bookings().find_one({"_id": booking_id, "status": VOID}):
        idempotency_keys().delete_one({"customer_id": customer.pk, "key": key, "booking_id": booking_id})


def keys_expire():
    """Forget keys older than IDEMPOTENCY_KEY_HOURS; returns how many."""
    expired = now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    return idempotency_keys().delete_many({"created_at": {"$lte": expired}}).deleted_count


def _claim(*, customer, key, digest, booking_id):
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
        if held["created_at"] <= moment - expiry:
            if _take(held, booking_id, digest):
                return None
            continue
        if held["request_hash"] != digest:
            raise IdempotencyKeyReused()
        return held


def _take(held, booking_id, digest):
    taken = idempotency_keys().update_one(
        {"_id": held["_id"], "booking_id": held["booking_id"]},
        {"$set": {"booking_id": booking_id, "request_hash": digest, "created_at": now()}},
    )
    return taken.modified_count == 1
