"""The one sender of notifications: notify(kind, ...).

Callers (bookings.services) call it after a booking or cancellation has settled,
with the PyMongo documents: `event` as it is after the change (its
seats_available is what the organizer is told). It shapes the payload and hands
it to the dispatcher (notifications.realtime), which publishes it for the other
processes (one PUBLISH per recipient, bounded by REDIS_TIMEOUT_MS) and leaves this
process's listeners to its event loop. It never raises: a failed notification
never undoes a booking, and delays it by one Redis timeout at most.

Kinds, recipients and payloads (the contract with clients):
- booking.created   to the event's organizer: BookingNotice
- booking.cancelled to the event's organizer: BookingNotice
- event.cancelled   to each customer holding a booking (`customer_ids`): EventCancelledNotice
"""

import logging

from rest_framework import serializers

from eventbooking.money import MoneyField
from notifications.realtime import dispatcher

log = logging.getLogger(__name__)

BOOKING_CREATED = "booking.created"
BOOKING_CANCELLED = "booking.cancelled"
EVENT_CANCELLED = "event.cancelled"


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


class EventCancelledNotice(serializers.Serializer):
    event_id = serializers.CharField(source="_id")
    event_title = serializers.CharField(source="title")
    starts_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="cancel_reason", default="")
    cancelled_at = serializers.DateTimeField(allow_null=True)


def _message(kind, *, event, booking=None, customer_ids=()):
    """(recipients, payload) of a notification of `kind`."""
    if kind in (BOOKING_CREATED, BOOKING_CANCELLED):
        return [event["organizer_id"]], BookingNotice({"booking": booking, "event": event}).data
    if kind == EVENT_CANCELLED:
        return customer_ids, EventCancelledNotice(event).data
    raise ValueError(f"unknown notification kind {kind!r}")


def notify(kind, *, event, booking=None, customer_ids=()):
    """Send a notification of `kind` (module docstring); returns True when it was handed
    to the dispatcher, False when it failed (logged)."""
    try:
        recipients, payload = _message(kind, event=event, booking=booking, customer_ids=customer_ids)
        dispatcher.send(kind, recipients, payload)
    except Exception:  # noqa: BLE001 - see the module docstring
        log.exception("notification %s failed", kind)
        return False
    return True
