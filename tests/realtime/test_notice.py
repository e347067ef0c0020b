"""The booking notice every booking sends its organizer, built by hand
(notifications.services.booking_notice), is exactly what BookingNotice, the
documented payload, gives."""

import random

from rest_framework.renderers import JSONRenderer

from shared.mongo import collection
from notifications.services import BookingNotice, booking_notice
from tests.bookings.test_output import CENTS, booking_and_event
from tests.helpers import book


def assert_same(booking, event):
    expected = BookingNotice({"booking": booking, "event": event}).data
    fast = booking_notice(booking, event)
    assert fast == expected, booking
    assert JSONRenderer().render(fast) == JSONRenderer().render(expected)


def with_types(rng, event):
    if rng.random() < 0.1:
        return event  # a document from before ticket types
    seats = rng.randint(0, 500)
    types = [
        {"id": f"TT-{n:04d}", "name": rng.choice(["General", "VIP ✓", ""]), "tickets_sold": rng.randint(0, 99),
         "revenue_cents": rng.choice(CENTS), "seats_available": rng.randint(0, seats)}
        for n in range(rng.randint(0, 3))
    ]
    return {**event, "organizer_id": "o", "seats_available": seats, "types": types}


def test_the_fast_notice_is_the_serializers_for_varied_bookings():
    rng = random.Random(11)
    for number in range(1, 301):
        booking, event = booking_and_event(rng, number)
        event = with_types(rng, event)
        event.setdefault("seats_available", rng.randint(0, 9))
        assert_same(booking, event)


def test_the_fast_notice_is_the_serializers_for_bookings_read_back(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    first = book(customer_client, event_id, 2).json()["id"]
    book(customer_client, event_id, 1)
    assert customer_client.post(f"/bookings/{first}/cancel").status_code == 200
    event = collection("events").find_one({"_id": event_id})
    rows = list(collection("bookings").find({}))
    assert {row["status"] for row in rows} == {"CONFIRMED", "CANCELLED"}
    for row in rows:
        assert_same(row, event)
