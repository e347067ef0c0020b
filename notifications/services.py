"""The one sender of notifications: notify(kind, ...).

Callers (bookings.services) call it after a booking or cancellation has settled,
with the PyMongo documents: `event` as it is after the change (its
seats_available is what the organizer is told). It shapes the payload and hands
it to the dispatcher (notifications.realtime), after recording it in each
recipient's notice log (notifications.log: the one record the live fan-out, the
replay on reconnect, GET /notices and the webhooks read), which publishes it for the other
processes (one PUBLISH per recipient, bounded by REDIS_TIMEOUT_MS) and leaves this
process's listeners to its event loop. It never raises: a failed notification
never undoes a booking, and delays it by one Redis timeout at most.

Kinds, recipients and payloads (the contract with clients):
- booking.created   to the event's organizer: BookingNotice
- booking.cancelled to the event's organizer: BookingNotice
- event.cancelled   to each customer holding a booking (`customer_ids`): EventCancelledNotice
- waitlist.offer    to the customer whose waiting-list entry was offered seats: WaitlistOfferNotice
- waitlist.changed  to the event's organizer when its line changes (join, leave, offer): WaitlistChangedNotice
- checkin.created   to the event's organizer when a ticket is checked in: CheckinNotice
"""

import logging

from rest_framework import serializers

from shared.money import MoneyField
from shared.output import booking_sale, integer, money, text, twin_of, when
from notifications.log import notice_record
from notifications.realtime import dispatcher

log = logging.getLogger(__name__)

BOOKING_CREATED = "booking.created"
BOOKING_CANCELLED = "booking.cancelled"
EVENT_CANCELLED = "event.cancelled"
WAITLIST_OFFER = "waitlist.offer"
WAITLIST_CHANGED = "waitlist.changed"
CHECKIN_CREATED = "checkin.created"


class TypeSalesNotice(serializers.Serializer):
    """One ticket type's sales after the change: the organizer's per-type breakdown."""

    id = serializers.CharField()
    name = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")
    seats_available = serializers.IntegerField()


class BookingNotice(serializers.Serializer):
    booking_id = serializers.CharField(source="booking._id")
    event_id = serializers.CharField(source="event._id")
    event_title = serializers.CharField(source="event.title")
    ticket_type_id = serializers.CharField(source="booking.ticket_type_id", default="")
    ticket_type_name = serializers.CharField(source="booking.ticket_type_name", default="")
    qty = serializers.IntegerField(source="booking.qty")
    unit_price = MoneyField(source="booking.unit_price_cents")
    amount = MoneyField(source="booking.amount_cents")
    status = serializers.CharField(source="booking.status")
    seats_available = serializers.IntegerField(source="event.seats_available")
    ticket_types = TypeSalesNotice(source="event.types", many=True, default=list)
    created_at = serializers.DateTimeField(source="booking.created_at")
    cancelled_at = serializers.DateTimeField(source="booking.cancelled_at", allow_null=True)


@twin_of(lambda booking, event: BookingNotice({"booking": booking, "event": event}).data)
def booking_notice(booking, event):
    """BookingNotice({"booking": booking, "event": event}).data, built without DRF's
    per-field work: every booking sends one."""
    return {
        "booking_id": text(booking["_id"]),
        "event_id": text(event["_id"]),
        "event_title": text(event["title"]),
        **booking_sale(booking),
        "seats_available": integer(event["seats_available"]),
        "ticket_types": None if event.get("types", []) is None else [
            {
                "id": text(t["id"]),
                "name": text(t["name"]),
                "tickets_sold": integer(t["tickets_sold"]),
                "revenue": money(t["revenue_cents"]),
                "seats_available": integer(t["seats_available"]),
            }
            for t in event.get("types", [])
        ],
        "created_at": when(booking["created_at"]),
        "cancelled_at": when(booking.get("cancelled_at")),
    }


class EventCancelledNotice(serializers.Serializer):
    event_id = serializers.CharField(source="_id")
    event_title = serializers.CharField(source="title")
    starts_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="cancel_reason", default="")
    cancelled_at = serializers.DateTimeField(allow_null=True)


class WaitlistOfferNotice(serializers.Serializer):
    """Seats held for a customer in line: claim them with POST /bookings {holdId} before expires_at."""

    entry_id = serializers.CharField(source="entry.id")
    event_id = serializers.CharField(source="event._id")
    event_title = serializers.CharField(source="event.title")
    ticket_type_id = serializers.CharField(source="hold.type")
    qty = serializers.IntegerField(source="hold.qty")
    hold_id = serializers.CharField(source="hold.id")
    expires_at = serializers.DateTimeField(source="hold.expires_at")


class WaitlistChangedNotice(serializers.Serializer):
    """How many entries wait for the ticket type now (offered ones no longer wait)."""

    event_id = serializers.CharField(source="event._id")
    ticket_type_id = serializers.CharField(source="entry.type")
    waiting = serializers.SerializerMethodField()

    def get_waiting(self, data):
        ticket_type = next(t for t in data["event"]["types"] if t["id"] == data["entry"]["type"])
        return ticket_type.get("waitlist_waiting", 0)


class CheckinNotice(serializers.Serializer):
    """A ticket let in (tickets/services.py): which, where, when."""

    ticket_id = serializers.CharField(source="_id")
    event_id = serializers.CharField()
    booking_id = serializers.CharField()
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    gate = serializers.CharField()
    scanned_at = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField()


def _message(kind, *, event, booking=None, customer_ids=(), entry=None, hold=None, checkin=None):
    """(recipients, payload, key) of a notification of `kind`; `key` names the notice
    in the log (notifications.log), the same whoever records it, or None."""
    if kind in (BOOKING_CREATED, BOOKING_CANCELLED):
        return [event["organizer_id"]], booking_notice(booking, event), f"{kind}:{booking['_id']}"
    if kind == EVENT_CANCELLED:
        return customer_ids, EventCancelledNotice(event).data, f"{kind}:{event['_id']}"
    if kind == WAITLIST_OFFER:
        payload = WaitlistOfferNotice({"entry": entry, "event": event, "hold": hold}).data
        return [entry["customer_id"]], payload, f"{kind}:{hold['id']}"
    if kind == WAITLIST_CHANGED:
        return [event["organizer_id"]], WaitlistChangedNotice({"entry": entry, "event": event}).data, None
    if kind == CHECKIN_CREATED:
        return [event["organizer_id"]], CheckinNotice(checkin).data, f"{kind}:{checkin['_id']}"
    raise ValueError(f"unknown notification kind {kind!r}")


def notify(kind, *, event, booking=None, customer_ids=(), entry=None, hold=None, checkin=None):
    """Record a notification of `kind` (module docstring) in each recipient's log and
    send what was recorded; returns True when that was done, False when it failed
    (logged). A notice already in a recipient's log (same key: the reconciler
    recording what a crash may have lost) is neither recorded nor sent again."""
    try:
        recipients, payload, key = _message(
            kind, event=event, booking=booking, customer_ids=customer_ids, entry=entry, hold=hold, checkin=checkin
        )
        payload = dict(payload)
        sent = []
        for recipient in sorted({str(user_id) for user_id in recipients}):
            doc = notice_record(recipient=recipient, kind=kind, data=payload, key=key)
            if doc is not None:
                sent.append((recipient, doc["seq"], when(doc["created_at"])))
        dispatcher.send(kind, sent, payload)
    except Exception:  # noqa: BLE001 - see the module docstring
        log.exception("notification %s failed", kind)
        return False
    return True
