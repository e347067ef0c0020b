"""POST /bookings/:id/cancel and the cascade when an organizer cancels an event."""

from datetime import timedelta

from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_doc


def test_the_owner_cancels_and_the_seats_come_back(create_event, customer_client, api):
    event_id = create_event(publish=True, capacity=5, price="10.00")["id"]
    booking_id = book(customer_client, event_id, 3).json()["id"]
    book(customer_client, event_id, 1)
    assert api.get(f"/events/{event_id}").json()["seats_available"] == 1

    response = customer_client.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED" and response.json()["cancelled_at"]
    assert response.json()["cancelled_by_event"] is False
    event, rows = assert_invariant(event_id)
    assert (event["seats_available"], event["tickets_sold"], event["revenue_cents"]) == (4, 1, 1000)
    assert api.get(f"/events/{event_id}").json()["seats_available"] == 4

    again = customer_client.post(f"/bookings/{booking_id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booking_already_cancelled"
    assert_invariant(event_id)


def test_who_may_cancel(create_event, customer_client, client_for, make_user, organizer_client, api):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    booking_id = book(customer_client, event_id).json()["id"]
    assert api.post(f"/bookings/{booking_id}/cancel").status_code == 401
    assert organizer_client.post(f"/bookings/{booking_id}/cancel").status_code == 403
    stranger = client_for(make_user())
    response = stranger.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 403
    assert customer_client.post("/bookings/BK-9999/cancel").status_code == 404
    assert collection("bookings").find_one({"_id": booking_id})["status"] == "CONFIRMED"
    assert event_doc(event_id)["seats_available"] == 9


def test_no_cancelling_once_the_event_started(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    booking_id = book(customer_client, event_id).json()["id"]
    collection("events").update_one({"_id": event_id}, {"$set": {"starts_at": now() - timedelta(seconds=1)}})
    response = customer_client.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_started"
    assert_invariant(event_id)


def test_cancelling_an_event_cancels_its_bookings(create_event, client_for, make_user, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=20, price="5.00")["id"]
    other = create_event(publish=True, capacity=20, price="25.00")["id"]
    customers = [client_for(make_user()) for _ in range(3)]
    ids = [book(client, event_id, n + 1).json()["id"] for n, client in enumerate(customers)]
    early = book(customers[0], event_id).json()["id"]
    assert customers[0].post(f"/bookings/{early}/cancel").status_code == 200
    elsewhere = book(customers[0], other, 2).json()["id"]

    assert organizer_client.post(f"/events/{event_id}/cancel", {"reason": "storm"}, format="json").status_code == 200
    for booking_id in ids:
        doc = collection("bookings").find_one({"_id": booking_id})
        assert doc["status"] == "CANCELLED" and doc["cancelled_by_event"] is True
    assert collection("bookings").find_one({"_id": early})["cancelled_by_event"] is False
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 20 and event["revenue_cents"] == 0
    assert collection("bookings").find_one({"_id": elsewhere})["status"] == "CONFIRMED"
    assert_invariant(other)

    response = customers[1].post(f"/bookings/{ids[1]}/cancel")
    assert response.status_code == 409
    assert book(customer_client, event_id).status_code == 409
