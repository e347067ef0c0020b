"""The one place that sends notifications.

Callers (bookings.services) call these after a booking or cancellation has
settled, with the PyMongo documents: `event` as it is after the change (its
seats_available is what the organizer is told). Each function shapes the
payload, hands it to the dispatcher (bookings.realtime) and returns at once:
delivery happens on an event loop, over Socket.io and the WebSocket endpoint.
They never raise: a failed notification never delays or undoes a booking.

Events and payloads (the contract with clients, also in the README):
- booking.created   to the event's organizer: BookingNotice
- booking.cancelled to the event's organizer: BookingNotice
- event.cancelled   to each customer holding a booking: EventCancelledNotice
"""

import functools
import logging

from rest_framework import serializers

from bookings.realtime import dispatcher
from eventbooking.money import MoneyField

log = logging.getLogger(__name__)


class BookingNotice(serializers.Serializer):
    booking_id = serializers.CharField(source="booking._id")
    event_id = serializers.CharField(source="event._id")
    event_title = serializers.CharField(source="event.title")
    qty = serializers.IntegerField(source="booking.qty")
    unit_price = MoneyField(source="booking.unit_price_cents")
    amount = MoneyField(source="booking.amount_cents")
    status = serializers.CharField(source="booking.status")
    seats_available = serializers.IntegerField(source="event.seats_available")
    created_at = serializers.DateTimeField(source="booking.created_at")
    cancelled_at = serializers.DateTimeField(source="booking.cancelled_at", allow_null=True)


class EventCancelledNotice(serializers.Serializer):
    event_id = serializers.CharField(source="_id")
    event_title = serializers.CharField(source="title")
    starts_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(source="cancel_reason", default="")
    cancelled_at = serializers.DateTimeField(allow_null=True)


def quietly(notify):
    @functools.wraps(notify)
    def send(**kwargs):
        try:
            notify(**kwargs)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("%s failed", notify.__name__)

    return send


@quietly
def notify_booking_created(*, booking, event):
    dispatcher.send("booking.created", [event["organizer_id"]], BookingNotice({"booking": booking, "event": event}).data)


@quietly
def notify_booking_cancelled(*, booking, event):
    dispatcher.send("booking.cancelled", [event["organizer_id"]], BookingNotice({"booking": booking, "event": event}).data)


@quietly
def notify_event_cancelled(*, event, customer_ids):
    dispatcher.send("event.cancelled", customer_ids, EventCancelledNotice(event).data)
