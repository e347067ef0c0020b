from rest_framework import serializers

from shared.pagination import PageInput
from shared.serializers import StrictSerializer
from tickets.selectors import TICKET_OR_BOOKING

MAX_BATCH = 200
NONCE = r"^[A-Za-z0-9_.:-]{8,64}$"
CODE_MAX = 200
GATE_MAX = 64


class CheckinInput(StrictSerializer):
    code = serializers.CharField(max_length=CODE_MAX, trim_whitespace=True, help_text="The ticket's code, as its QR holds it.")
    gate = serializers.CharField(max_length=GATE_MAX, help_text="Where the scan happened, as the organizer names gates (\"North 2\").")
    nonce = serializers.RegexField(
        NONCE, help_text="The scanner's own id for this scan (8-64 of A-Z a-z 0-9 _ . : -, a UUID is good): "
        "sending the same scan again answers the first answer.",
        error_messages={"invalid": "8-64 characters of A-Z a-z 0-9 _ . : -"},
    )
    scanned_at = serializers.DateTimeField(required=False, help_text="When the scanner read the code (default: now).")


class CheckinBatchInput(StrictSerializer):
    scans = CheckinInput(many=True, allow_empty=False, max_length=MAX_BATCH)


class CheckinOutput(serializers.Serializer):
    ticket_id = serializers.CharField(source="_id")
    event_id = serializers.CharField()
    booking_id = serializers.CharField()
    seat = serializers.IntegerField()
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    gate = serializers.CharField()
    nonce = serializers.CharField()
    scanned_at = serializers.DateTimeField()
    checked_in_at = serializers.DateTimeField()


class BatchAnswer(serializers.Serializer):
    """One scan's answer, as POST /events/:id/checkins would have given it: `status` 201 with
    `checkin`, or the error status with `error` ({code, message, ...})."""

    nonce = serializers.CharField()
    status = serializers.IntegerField()
    checkin = CheckinOutput(allow_null=True)
    error = serializers.DictField(allow_null=True)


class CheckinBatchOutput(serializers.Serializer):
    results = BatchAnswer(many=True)


class QrOutput(serializers.Serializer):
    svg = serializers.CharField(help_text="data:image/svg+xml URI")
    png = serializers.CharField(help_text="data:image/png;base64 URI")


class TicketOutput(serializers.Serializer):
    id = serializers.CharField()
    seat = serializers.IntegerField()
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    status = serializers.ChoiceField(choices=["VALID", "CHECKED_IN", "REVOKED"])
    checked_in_at = serializers.DateTimeField(allow_null=True)
    gate = serializers.CharField(allow_null=True)
    code = serializers.CharField(allow_null=True, help_text="Signed; null once revoked.")
    qr = QrOutput(allow_null=True)


class TicketListOutput(serializers.Serializer):
    booking_id = serializers.CharField(source="booking._id")
    booking_status = serializers.CharField(source="booking.status")
    event_id = serializers.CharField(source="event._id")
    event_title = serializers.CharField(source="event.title")
    event_starts_at = serializers.DateTimeField(source="event.starts_at", allow_null=True)
    event_status = serializers.CharField(source="event.status")
    count = serializers.SerializerMethodField()
    results = TicketOutput(source="tickets", many=True)

    def get_count(self, data) -> int:
        return len(data["tickets"])


class RevocationListInput(PageInput):
    since = serializers.DateTimeField(required=False, help_text="Only bookings cancelled at or after this moment.")
    page_size = serializers.IntegerField(min_value=1, max_value=1000, default=500)


class RevocationOutput(serializers.Serializer):
    booking_id = serializers.CharField()
    ticket_ids = serializers.ListField(child=serializers.CharField())
    revoked_at = serializers.DateTimeField()
    cancelled_by_event = serializers.BooleanField()


class RevocationListOutput(serializers.Serializer):
    event_id = serializers.CharField()
    event_cancelled = serializers.BooleanField(help_text="True: refuse every ticket of the event.")
    event_cancelled_at = serializers.DateTimeField(allow_null=True)
    as_of = serializers.DateTimeField()
    next_since = serializers.DateTimeField(help_text="Send as `since` next time.")
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    results = RevocationOutput(many=True)


class CheckinListInput(PageInput):
    q = serializers.RegexField(
        rf"^{TICKET_OR_BOOKING.pattern}$", max_length=30, required=False,
        help_text="A booking id (its tickets) or a ticket id.",
        error_messages={"invalid": "A booking id (BK-0001) or a ticket id (BK-0001-2)."},
    )
    gate = serializers.CharField(max_length=GATE_MAX, required=False)


class TypeCount(serializers.Serializer):
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    checked_in = serializers.IntegerField()
    tickets = serializers.IntegerField(help_text="Tickets sold (confirmed seats) of the type.")


class GateCount(serializers.Serializer):
    gate = serializers.CharField()
    checked_in = serializers.IntegerField()


class CheckinListOutput(serializers.Serializer):
    event_id = serializers.CharField()
    checked_in = serializers.IntegerField()
    tickets = serializers.IntegerField()
    by_type = TypeCount(many=True)
    by_gate = GateCount(many=True)
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    next = serializers.IntegerField(allow_null=True)
    previous = serializers.IntegerField(allow_null=True)
    results = CheckinOutput(many=True)


class DoorStaffInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)


class DoorStaffOutput(serializers.Serializer):
    user_id = serializers.CharField()
    email = serializers.CharField()
    name = serializers.CharField()
    event_id = serializers.CharField()
    granted_at = serializers.DateTimeField()


class PublishedKey(serializers.Serializer):
    kty = serializers.CharField(help_text="OKP")
    crv = serializers.CharField(help_text="Ed25519")
    alg = serializers.CharField(help_text="EdDSA")
    use = serializers.CharField(help_text="sig")
    kid = serializers.CharField(help_text="The key id in a code's bytes 1-2, in decimal.")
    x = serializers.CharField(help_text="The 32-byte public key, base64url without padding.")
    current = serializers.BooleanField(help_text="The key that signs codes shown now.")


class PublishedKeys(serializers.Serializer):
    keys = PublishedKey(many=True)


