from rest_framework import serializers

from bookings.models import BookingStatus
from shared.ids import EVENT_ID, HOLD_ID, MAX_LENGTH, TICKET_TYPE_ID
from shared.money import MoneyField, from_cents
from shared.output import boolean, booking_sale, text, twin_of, when
from shared.pagination import PageInput
from shared.serializers import StrictSerializer, WholeNumberField
from events.ticket_types import max_tickets_per_booking

IDEMPOTENCY_HEADER = "Idempotency-Key"


class SeatsInput(StrictSerializer):
    """`eventId` is the one spelling the API documents; `event_id` is an unknown field (400)."""

    eventId = serializers.RegexField(
        rf"^{EVENT_ID.pattern}$", max_length=MAX_LENGTH, error_messages={"invalid": "An event id looks like EVT-0001."}
    )
    qty = WholeNumberField(min_value=1)
    ticketTypeId = serializers.RegexField(
        rf"^{TICKET_TYPE_ID.pattern}$", max_length=MAX_LENGTH, required=False,
        error_messages={"invalid": "A ticket type id looks like TT-0001."},
        help_text="The ticket type; may be left out when the event sells one type.",
    )

    def validate_qty(self, qty):
        most = max_tickets_per_booking()
        if qty > most:
            raise serializers.ValidationError(f"At most {most} tickets per booking.", code="max_value")
        return qty


class HoldInput(SeatsInput):
    """POST /holds: the seats to hold (a hold becomes one booking: the same limits)."""


class BookingInput(SeatsInput):
    """Either `eventId` and `qty` (and `ticketTypeId`), or `holdId`: the seats of a live
    hold of the caller's (then the others may be left out, or must match the hold)."""

    holdId = serializers.RegexField(
        rf"^{HOLD_ID.pattern}$", max_length=MAX_LENGTH, required=False,
        error_messages={"invalid": "A hold id looks like HLD-0001."},
        help_text="Book the seats of this hold (POST /holds).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["eventId"].required = False
        self.fields["qty"].required = False

    def validate(self, data):
        if "holdId" not in data:
            missing = {name: ["This field is required."] for name in ("eventId", "qty") if name not in data}
            if missing:
                raise serializers.ValidationError(missing, code="required")
        return data


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


@twin_of(lambda booking, event: BookingOutput({**booking, "event": event}).data)
def booking_output(booking, event):
    """BookingOutput({**booking, "event": event}).data, built without DRF's per-field work."""
    return {
        "id": text(booking["_id"]),
        "event_id": text(booking["event_id"]),
        "event_title": text(event["title"]),
        "event_starts_at": when(event["starts_at"]),
        "event_status": text(event["status"]),
        **booking_sale(booking),
        "cancelled_by_event": boolean(booking["cancelled_by_event"]),
        "created_at": when(booking["created_at"]),
        "cancelled_at": when(booking.get("cancelled_at")),
    }


class HoldOutput(serializers.Serializer):
    """A seat hold: its seats are off sale until `expires_at`, for its customer to book."""

    id = serializers.CharField()
    event_id = serializers.CharField(source="event._id")
    event_title = serializers.CharField(source="event.title")
    event_starts_at = serializers.DateTimeField(source="event.starts_at")
    ticket_type_id = serializers.CharField(source="type")
    ticket_type_name = serializers.CharField()
    qty = serializers.IntegerField()
    unit_price = MoneyField(source="unit_price_cents", help_text="Frozen when held: the booking pays it.")
    amount = MoneyField(source="amount_cents")
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField(source="at")
    waitlist_entry_id = serializers.CharField(source="entry", allow_null=True, help_text="Set when the waiting list offered it.")


def hold_output(hold, event):
    name = next((t["name"] for t in event.get("types") or [] if t["id"] == hold["type"]), "")
    return HoldOutput(
        {**hold, "event": event, "ticket_type_name": name, "amount_cents": hold["qty"] * hold["unit_price_cents"]}
    ).data


ATTENDEE_FORMATS = ["json", "csv", "xlsx"]


class AttendeeListInput(PageInput):
    status = serializers.ChoiceField(
        choices=[BookingStatus.CONFIRMED, BookingStatus.CANCELLED], default=BookingStatus.CONFIRMED.value,
        help_text="CONFIRMED (the default): who comes; CANCELLED: bookings cancelled since.",
    )
    q = serializers.CharField(max_length=100, required=False, help_text="Part of the customer's name or email, any case.")
    sort = serializers.ChoiceField(
        choices=["booked_at", "-booked_at", "amount", "-amount"], default="booked_at",
        error_messages={"invalid_choice": "Sort by booked_at or amount; a leading - sorts descending."},
    )
    format = serializers.ChoiceField(
        choices=ATTENDEE_FORMATS, required=False,
        help_text="csv or xlsx: every matching row as a file (also chosen by `Accept: text/csv` or the XLSX media "
        "type); `page` and `page_size` are refused then.",
    )


class AttendeeOutput(serializers.Serializer):
    """One booking of an event with its customer: what its organizer needs at the door."""

    booking_id = serializers.CharField()
    customer_name = serializers.CharField()
    customer_email = serializers.CharField()
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    qty = serializers.IntegerField()
    unit_price = MoneyField(source="unit_price_cents")
    amount = MoneyField(source="amount_cents")
    status = serializers.CharField()
    booked_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)


# The export's columns: (title, key of attendee_row).
ATTENDEE_COLUMNS = [
    ("booking id", "booking_id"), ("customer name", "customer_name"), ("customer email", "customer_email"),
    ("ticket type id", "ticket_type_id"), ("ticket type", "ticket_type_name"), ("qty", "qty"),
    ("unit price", "unit_price"), ("amount", "amount"), ("status", "status"),
    ("booked at (UTC)", "booked_at"), ("cancelled at (UTC)", "cancelled_at"),
]


def attendee_row(booking, customer):
    """A booking and its customer as one row: AttendeeOutput's source, and an export's row."""
    return {
        "booking_id": booking["_id"],
        "customer_name": customer.get("name", ""),
        "customer_email": customer.get("email", ""),
        "ticket_type_id": booking.get("ticket_type_id", ""),
        "ticket_type_name": booking.get("ticket_type_name", ""),
        "qty": booking["qty"],
        "unit_price_cents": booking["unit_price_cents"],
        "amount_cents": booking["amount_cents"],
        "unit_price": from_cents(booking["unit_price_cents"]),
        "amount": from_cents(booking["amount_cents"]),
        "status": booking["status"],
        "booked_at": booking["created_at"],
        "cancelled_at": booking.get("cancelled_at"),
    }
