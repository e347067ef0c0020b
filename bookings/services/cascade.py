"""The cascade: a cancelled event's bookings are cancelled with it (package
docstring, "Cancelled events"). Started by events' event_cancelled signal (the one
way the API and the admin cancel an event: bookings/receivers.py), by a booking that lands on an event
cancelled meanwhile (reserve.py), and by the reconciler when a cascade stopped."""

import logging
from datetime import timedelta

from django.conf import settings

from shared.testhooks import checkpoint
from bookings.services.hold_store import holds_close
from bookings.services.markers import CANCELLED, CONFIRMED, settle_marker
from bookings.signals import event_closing_send
from shared.mongo import bookings, events
from shared.timeutil import now
from events.models import EventStatus
from events.store import NO_MARKERS, event_update_one
from notifications.services import EVENT_CANCELLED, notify

log = logging.getLogger(__name__)

CANCELLED_EVENT = EventStatus.CANCELLED.value

def bookings_cancel_for_event(*, event):
    """Cancel the bookings of the CANCELLED `event` and zero its counters. The event's
    cancellation stands whatever happens here: a failure is logged and the
    reconciler finishes the cascade. Returns how many bookings this call cancelled."""
    try:
        return cascade(event=event)
    except Exception:
        log.exception("cancelling the bookings of %s stopped; the reconciler will finish", event["_id"])
        return 0


def cascade(*, event, older_than_seconds=None):
    """Cancel the bookings of a CANCELLED event and zero its counters. Safe to run
    again, and concurrently. Returns how many bookings this call cancelled."""
    event_id = event["_id"]
    moment = now()
    seconds = settings.RECONCILE_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = moment - timedelta(seconds=seconds)
    customers = []
    queued = []
    while True:
        for booking in bookings().find({"event_id": event_id, "status": CONFIRMED}, {"_id": 1}):
            customers += _cancel_by_event(booking["_id"], event_id, moment)
        checkpoint("cascade_after_flip")
        current = events().find_one({"_id": event_id})
        if current["status"] != CANCELLED_EVENT:
            raise ValueError(f"{event_id} is not cancelled")
        if not current["pending"]:
            # No join nor offer can land on a cancelled event: the line is closed first, then the
            # counters (its offers' holds dropped with the others). A crash between the two leaves
            # waitlist_waiting or seats_held up, so the reconciler runs this again.
            queued += event_closing_send(event_id=event_id, at=moment)
            holds_close(event_id=event_id, at=moment)
            zeroed = event_update_one(
                {"_id": event_id, "status": CANCELLED_EVENT, "pending": []},
                {"$set": {"seats_available": current["capacity"], "tickets_sold": 0, "revenue_cents": 0, "seats_held": 0,
                          "types": _unsold(current["types"])}},
            )
            if zeroed.matched_count:
                break
            continue
        waiting = False
        for marker in current["pending"]:
            if "booking" not in marker:
                settle_marker(event_id, marker)  # the line's: each is decided by its entry alone
                continue
            if marker["at"] > cutoff and bookings().find_one({"_id": marker["booking"], "event_id": event_id}, {"_id": 1}) is None:
                # Its request is still running; once its booking lands it calls us again.
                waiting = True
                continue
            customers += _cancel_by_event(marker["booking"], event_id, moment)
            settle_marker(event_id, marker)
        if waiting:
            break
    if customers or queued:
        current = events().find_one({"_id": event_id}, NO_MARKERS)
        notify(EVENT_CANCELLED, event=current, customer_ids=sorted(set(customers + queued), key=str))
    return len(customers)


def _unsold(types):
    # A cancelled event's types never change again (no edit, no booking, no hold), so they are set whole.
    unsold = {"tickets_sold": 0, "revenue_cents": 0, "seats_held": 0, "waitlist_waiting": 0}
    return [{**t, "seats_available": t["capacity"], **unsold} for t in types]


def _cancel_by_event(booking_id, event_id, moment):
    """[customer id] when this call cancelled the booking, else []. Only a booking of this
    event: a marker's id may be another event's booking (shared/ids.py)."""
    doc = bookings().find_one_and_update(
        {"_id": booking_id, "event_id": event_id, "status": CONFIRMED},
        {"$set": {"status": CANCELLED, "cancelled_by_event": True, "cancelled_at": moment}},
        projection={"customer_id": 1},
    )
    return [doc["customer_id"]] if doc else []
