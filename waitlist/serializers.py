from rest_framework import serializers

from shared.ids import MAX_LENGTH, TICKET_TYPE_ID
from shared.serializers import StrictSerializer, WholeNumberField
from events.ticket_types import max_tickets_per_booking
from waitlist.line import BOOKED, CLOSED, EXPIRED, OFFERED, WAITING


class WaitlistJoinInput(StrictSerializer):
    qty = WholeNumberField(min_value=1, max_value=max_tickets_per_booking())
    ticketTypeId = serializers.RegexField(
        rf"^{TICKET_TYPE_ID.pattern}$", max_length=MAX_LENGTH, required=False,
        error_messages={"invalid": "A ticket type id looks like TT-0001."},
        help_text="The ticket type to wait for; may be left out when the event sells one type.",
    )


class WaitlistEntryOutput(serializers.Serializer):
    """One place in an event's line. `position` is 1 for the next to be offered seats of its
    type (null once offered or closed); an OFFERED entry names the hold kept for it: claim it
    with POST /bookings {holdId} before `hold_expires_at`."""

    id = serializers.CharField()
    event_id = serializers.CharField()
    event_title = serializers.CharField()
    event_status = serializers.CharField()
    ticket_type_id = serializers.CharField(source="type")
    ticket_type_name = serializers.CharField()
    qty = serializers.IntegerField()
    position = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=[WAITING, OFFERED, BOOKED, EXPIRED, CLOSED])
    created_at = serializers.DateTimeField(source="at")
    offered_at = serializers.DateTimeField(allow_null=True)
    hold_id = serializers.CharField(allow_null=True)
    hold_expires_at = serializers.DateTimeField(allow_null=True)
