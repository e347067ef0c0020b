from django.conf import settings
from rest_framework import serializers

from bookings.models import BookingStatus
from eventbooking.ids import EVENT_ID, MAX_LENGTH, TICKET_TYPE_ID
from eventbooking.money import MoneyField
from eventbooking.pagination import PageInput
from eventbooking.serializers import StrictSerializer, WholeNumberField

IDEMPOTENCY_HEADER = "Idempotency-Key"


class BookingInput(StrictSerializer):
    """`eventId` is the one spelling the API documents; `event_id` is an unknown field (400)."""

    eventId = serializers.RegexField(
        rf"^{EVENT_ID.pattern}$", max_length=MAX_LENGTH, error_messages={"invalid": "An event id looks like EVT-0001."}
    )
    qty = WholeNumberField(min_value=1)
    ticketTypeId = serializers.RegexField(
        rf"^{TICKET_TYPE_ID.pattern}$", max_length=MAX_LENGTH, required=False,
        error_messages={"invalid": "A ticket type id looks like TT-0001."},
        help_text="The ticket type to book; may be left out when the event sells one type.",
    )

    def validate_qty(self, qty):
        most = settings.MAX_TICKETS_PER_BOOKING
        if qty > most:
            raise serializers.ValidationError(f"At most {most} tickets per booking.", code="max_value")
        return qty


def idempotency_key(request):
    """The Idempotency-Key header: absent, or 1-255 visible ASCII characters."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable() and key.strip() == key):
        raise serializers.ValidationError(
            {IDEMPOTENCY_HEADER: ["Use 1 to 255 visible ASCII characters, such as a UUID."]}, code="invalid"
        )
    return key


class BookingListInput(PageInput):
    status = serializers.ChoiceField(choices=[BookingStatus.CONFIRMED, BookingStatus.CANCELLED], required=False)


class BookingOutput(serializers.Serializer):
    """One shape for a booking everywhere: POST /bookings, GET /bookings/me, cancel."""

    id = serializers.CharField(source="_id")
    event_id = serializers.CharField()
    event_title = serializers.CharField(source="event.title")
    event_starts_at = serializers.DateTimeField(source="event.starts_at")
    event_status = serializers.CharField(source="event.status")
    ticket_type_id = serializers.CharField(default="")
    ticket_type_name = serializers.CharField(default="")
    qty = serializers.IntegerField()
    unit_price = MoneyField(source="unit_price_cents")
    amount = MoneyField(source="amount_cents")
    status = serializers.CharField()
    cancelled_by_event = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)


def booking_output(booking, event):
    return BookingOutput({**booking, "event": event}).data
