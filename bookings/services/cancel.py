"""A customer cancels a booking: booking_cancel (package docstring, "Cancelling")."""

import logging
import time

from bookings.errors import BookingAlreadyCancelled, BookingBusy, BookingNotFound
from shared.testhooks import checkpoint
from bookings.services.markers import CANCEL, CANCELLED, CONFIRMED, VOID, settle_quietly, settle_stale
from bookings.signals import seats_freed_quietly
from shared.errors import Forbidden, database_outage
from shared.ids import BOOKING_ID
from shared.mongo import bookings, events
from shared.timeutil import now
from events.errors import EventCancelled, EventStarted
from events.models import EventStatus
from events.store import NO_MARKERS, event_update_one
from notifications.services import BOOKING_CANCELLED, notify

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
# How long a request waits for another one holding the same booking.
WAIT_SECONDS = 10


def booking_cancel(*, booking_id, actor, as_staff=False):
    """The owner cancels a confirmed booking before its event starts; seats return.
    Returns (booking, event). Of two racing requests exactly one succeeds.
    The admin passes `as_staff=True`: staff cancel any customer's booking this same way."""
    if as_staff and not actor.is_staff:
        raise Forbidden("Only staff may cancel another customer's booking.")
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        booking = bookings().find_one({"_id": booking_id}) if BOOKING_ID.fullmatch(booking_id) else None
        if booking is None or booking["status"] == VOID:
            raise BookingNotFound()
        if booking["customer_id"] != actor.pk and not as_staff:
            raise Forbidden("Only the customer who made this booking may cancel it.")
        if booking["status"] != CONFIRMED:
            raise BookingAlreadyCancelled()
        event_id = booking["event_id"]
        moment = now()
        marker = {
            "booking": booking_id,
            "type": booking["ticket_type_id"],
            "qty": booking["qty"],
            "amount_cents": booking["amount_cents"],
            "at": moment,
            "op": CANCEL,
        }
        marked = event_update_one(
            {"_id": event_id, "status": PUBLISHED, "starts_at": {"$gt": moment}, "pending.booking": {"$ne": booking_id}},
            {"$push": {"pending": marker}},
        )
        if marked.modified_count:
            break
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        if event["status"] != PUBLISHED:
            raise EventCancelled("The event is cancelled; its bookings are cancelled with it.")
        if event["starts_at"] <= moment:
            raise EventStarted("The event has started; the booking can no longer be cancelled.")
        # Another request holds this booking's seats (a racing cancel, or the booking's own
        # marker not pulled yet): wait for it, then look again. One that died is settled here.
        settle_stale(event_id, booking_id)
        if time.monotonic() > deadline:
            raise BookingBusy()
        time.sleep(0.02)

    interrupted = None
    try:
        checkpoint("cancel_after_mark")
        bookings().update_one({"_id": booking_id, "status": CONFIRMED}, {"$set": {"status": CANCELLED, "cancelled_at": moment}})
        checkpoint("cancel_after_flip")
    except Exception as exc:
        interrupted = exc
        log.exception("cancellation of %s interrupted; finishing it now", booking_id)
    # Ours: return the seats. A racing request's: drop our marker. Failing here: the reconciler will.
    settle_quietly(event_id, marker)
    booking = bookings().find_one({"_id": booking_id})
    if booking["status"] != CANCELLED:
        if database_outage(interrupted) is not None:
            # 503: its marker stays, and the reconciler finishes the cancellation.
            raise interrupted
        raise RuntimeError(f"cancellation of {booking_id} could not be completed")
    if booking["cancelled_at"] != moment:
        raise BookingAlreadyCancelled()
    seats_freed_quietly(event_id=event_id, type_id=booking["ticket_type_id"])
    event = events().find_one({"_id": event_id}, NO_MARKERS)
    notify(BOOKING_CANCELLED, booking=booking, event=event)
    return booking, event
