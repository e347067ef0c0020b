"""A booking's JSON, built by hand on the hot path (bookings.serializers.booking_output),
is exactly what BookingOutput, which the OpenAPI schema describes, gives."""

import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from rest_framework.renderers import JSONRenderer

from bookings.serializers import BookingOutput, booking_output
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import book

CENTS = [0, 1, 99, 1250, 123456789]


def moment(rng, null=False):
    if null and rng.random() < 0.4:
        return None
    value = now() + timedelta(days=rng.randint(-300, 300), milliseconds=rng.randint(0, 10**8))
    return value.astimezone(ZoneInfo("America/New_York")) if rng.random() < 0.2 else value


def booking_and_event(rng, number):
    qty, price = rng.randint(1, 10), rng.choice(CENTS)
    status = rng.choice(["CONFIRMED", "CANCELLED"])
    booking = {
        "_id": f"BK-{number:04d}", "event_id": f"EVT-{number % 7:04d}", "customer_id": "c",
        "ticket_type_id": f"TT-{number:04d}", "ticket_type_name": rng.choice(["General admission", "VIP ✓", ""]),
        "qty": qty, "unit_price_cents": price, "amount_cents": qty * price, "status": status,
        "cancelled_by_event": status == "CANCELLED" and rng.random() < 0.5, "created_at": moment(rng),
        "cancelled_at": moment(rng) if status == "CANCELLED" else None,
    }
    if rng.random() < 0.2:  # made before ticket types
        del booking["ticket_type_id"], booking["ticket_type_name"]
    event = {"_id": booking["event_id"], "title": rng.choice(["Jazz Night", "Opéra"]), "starts_at": moment(rng, null=True),
             "status": rng.choice(["PUBLISHED", "CANCELLED"])}
    return booking, event


def assert_same(booking, event):
    expected = BookingOutput({**booking, "event": event}).data
    fast = booking_output(booking, event)
    assert fast == expected, booking
    assert JSONRenderer().render(fast) == JSONRenderer().render(expected)


def test_the_fast_json_is_the_serializers_for_varied_bookings():
    rng = random.Random(7)
    for number in range(1, 301):
        assert_same(*booking_and_event(rng, number))


def test_the_fast_json_is_the_serializers_for_bookings_read_back(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    first = book(customer_client, event_id, 2).json()["id"]
    book(customer_client, event_id, 1)
    assert customer_client.post(f"/bookings/{first}/cancel").status_code == 200
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    event = collection("events").find_one({"_id": event_id})
    rows = list(collection("bookings").find({}))
    assert {row["status"] for row in rows} == {"CANCELLED"} and len(rows) == 2
    for row in rows:
        assert_same(row, event)
