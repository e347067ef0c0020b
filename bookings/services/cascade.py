"""The cascade: a cancelled event's bookings are cancelled with it (package
docstring, "Cancelled events"). Started by eventbooking.cancel_event (the one
way the API and the admin cancel an event), by a booking that lands on an event
cancelled meanwhile (reserve.py), and by the reconciler when a cascade stopped."""

import logging
from datetime import timedelta

from django.conf import settings

from bookings.faults import fault
from bookings.services.markers import CANCELLED, CONFIRMED, settle_marker
from eventbooking.mongo import bookings, events
from eventbooking.timeutil import now
from events.models import EventStatus, WaitlistState
from events.store import NO_MARKERS, event_update_one
from notifications.services import EVENT_CANCELLED, notify

log = logging.getLogger(__name__)

CANCELLED_EVENT = EventStatus.CANCELLED.value
CLOSED_ENTRY = WaitlistState.CLOSED.value
IN_LINE = [WaitlistState.WAITING.value, WaitlistState.OFFERED.value]


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
        fault("cascade_after_flip")
        current = events().find_one({"_id": event_id})
        if current["status"] != CANCELLED_EVENT:
            raise ValueError(f"{event_id} is not cancelled")
        if not current["pending"]:
            # The line closes in the same update: its offers' holds are dropped with the others.
            in_line = [entry for entry in current.get("waitlist") or [] if entry["state"] in IN_LINE]
            closing = {"waitlist.$[open].state": CLOSED_ENTRY} if in_line else {}
            zeroed = event_update_one(
                {"_id": event_id, "status": CANCELLED_EVENT, "pending": []},
                {"$set": {"seats_available": current["capacity"], "tickets_sold": 0, "revenue_cents": 0, "seats_held": 0,
                          "holds": [], "types": _unsold(current["types"]), **closing}},
                array_filters=[{"open.state": {"$in": IN_LINE}}] if in_line else None,
            )
            if zeroed.matched_count:
                # Those waiting are told too; a second cascade reads them CLOSED and tells nobody.
                queued = [entry["customer_id"] for entry in in_line]
                break
            continue
        waiting = False
        for marker in current["pending"]:
            landed = bookings().find_one({"_id": marker["booking"], "event_id": event_id}, {"_id": 1})
            if marker["at"] > cutoff and landed is None:
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
    event: a marker's id may be another event's booking (eventbooking/ids.py)."""
    doc = bookings().find_one_and_update(
        {"_id": booking_id, "event_id": event_id, "status": CONFIRMED},
        {"$set": {"status": CANCELLED, "cancelled_by_event": True, "cancelled_at": moment}},
        projection={"customer_id": 1},
    )
    return [doc["customer_id"]] if doc else []
