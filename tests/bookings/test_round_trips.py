"""What a booking saves in round trips must not change what it books: the type a
process remembers is checked by the reservation, not trusted; booking numbers taken
in blocks stay unique and increasing per process."""

import pytest

from shared.mongo import collection
from tests.helpers import assert_invariant, book, book_through


def test_a_type_changed_since_this_process_last_booked_it_is_booked_as_it_is_now(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    first = book(customer_client, event_id, 2).json()
    type_id = first["ticket_type_id"]
    assert (first["ticket_type_name"], first["unit_price"]) == ("General admission", "12.50")

    renamed = {"types": [{"id": type_id, "name": "Seated"}]}
    assert organizer_client.patch(f"/events/{event_id}", renamed, format="json").status_code == 200
    assert book(customer_client, event_id, 1).json()["ticket_type_name"] == "Seated"
    changed = {"types": [{"id": type_id, "price": "30.00", "max_per_booking": 2}]}
    assert organizer_client.patch(f"/events/{event_id}", changed, format="json").status_code == 200
    # The maximum set since the first booking refuses what the type as first read allowed.
    response = book(customer_client, event_id, 3)
    assert response.status_code == 409 and response.json()["error"]["code"] == "over_ticket_type_maximum"
    second = book(customer_client, event_id, 2).json()
    assert (second["ticket_type_name"], second["unit_price"], second["amount"]) == ("Seated", "30.00", "60.00")

    # A second type: "the only type" no longer names one.
    two = {"types": [{"id": type_id}, {"name": "VIP", "price": "60.00", "capacity": 2}]}
    assert organizer_client.patch(f"/events/{event_id}", two, format="json").status_code == 200
    response = book(customer_client, event_id, 1)
    assert response.status_code == 400 and response.json()["error"]["code"] == "ticket_type_required"
    event, rows = assert_invariant(event_id)
    assert sorted(row["amount_cents"] for row in rows) == [1250, 2500, 6000]


def test_refusals_read_what_is_stored_now(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=3, price="10.00")["id"]
    assert book(customer_client, event_id, 2).status_code == 201
    response = book(customer_client, event_id, 2)
    assert response.status_code == 409 and response.json()["error"]["seats_available"] == 1
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    response = book(customer_client, event_id, 1)
    assert response.status_code == 409 and response.json()["error"]["status"] == "CANCELLED"


@pytest.mark.slow
def test_booking_numbers_come_in_blocks_per_process(start_server, create_event, customer):
    """Two processes taking 5 numbers at a time, booking in turn: each hands out its
    block in order, then takes the next free block; no number twice."""
    event_id = create_event(publish=True, capacity=50, price="10.00")["id"]
    servers = [start_server(extra_env={"BOOKING_ID_BLOCK": "5"}) for _ in range(2)]
    numbers = {0: [], 1: []}
    for _ in range(6):
        for index, server in enumerate(servers):
            numbers[index].append(int(book_through(server, customer, event_id)["id"].removeprefix("BK-")))
    assert numbers == {0: [1, 2, 3, 4, 5, 11], 1: [6, 7, 8, 9, 10, 16]}
    assert collection("counters").find_one({"_id": "BK"})["value"] == 20
    assert_invariant(event_id)
