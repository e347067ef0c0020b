"""A booking body read without the serializer (BookingInput.validated) gives what the
serializer gives, and every body it does not plainly accept gets the serializer's answer."""

from rest_framework.exceptions import ValidationError

from bookings.serializers import BookingInput

BODIES = [
    {"eventId": "EVT-0001", "qty": 1}, {"eventId": "EVT-0001", "qty": 10}, {"eventId": "EVT-0001", "qty": 11},
    {"eventId": "EVT-0001", "qty": 0}, {"eventId": "EVT-0001", "qty": -1}, {"eventId": "EVT-0001", "qty": True},
    {"eventId": "EVT-0001", "qty": 2.0}, {"eventId": "EVT-0001", "qty": "2"}, {"eventId": "EVT-0001"}, {"qty": 1},
    {"eventId": " EVT-0001", "qty": 1}, {"eventId": "EVT-0001\n", "qty": 1}, {"eventId": "evt-0001", "qty": 1},
    {"eventId": "EVT-001", "qty": 1}, {"eventId": "EVT-0000000000001", "qty": 1}, {"eventId": "EVT-١٢٣٤", "qty": 1},
    {"eventId": 1, "qty": 1}, {"eventId": None, "qty": 1}, {"eventId": "EVT-0001", "qty": None},
    {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": "TT-0002"}, {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": "TT-2"},
    {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": None}, {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": ""},
    {"eventId": "EVT-0001", "qty": 1, "event_id": "EVT-0001"}, {"eventId": "EVT-0001", "qty": 10**30},
    [], "EVT-0001", None, {},
]


def outcome(run):
    try:
        return "ok", dict(run())
    except ValidationError as error:
        return "400", error.detail


def test_plain_bodies_read_as_the_serializer_reads_them():
    for body in BODIES:

        def by_serializer():
            serializer = BookingInput(data=body)
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data

        assert outcome(lambda: BookingInput.validated(body)) == outcome(by_serializer), body
    assert sum(BookingInput.plain_values(body) is not None for body in BODIES) >= 4
