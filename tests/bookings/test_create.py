"""POST /bookings: who may book, what is answered, what is written."""

from datetime import timedelta

import pytest

from notifications.realtime import dispatcher
from bookings.models import Booking
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_doc


def test_a_customer_books_seats_at_the_price_of_the_moment(create_event, customer_client, customer, organizer_client, api):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    response = book(customer_client, event_id, 3)
    assert response.status_code == 201
    booking = response.json()
    assert booking["id"] == "BK-0001"
    assert booking["event_id"] == event_id and booking["event_title"] == "Jazz Night"
    assert booking["qty"] == 3 and booking["unit_price"] == "12.50" and booking["amount"] == "37.50"
    assert booking["status"] == "CONFIRMED" and booking["cancelled_by_event"] is False
    assert booking["created_at"] and booking["cancelled_at"] is None

    doc = collection("bookings").find_one({"_id": "BK-0001"})
    assert doc["customer_id"] == customer.pk and doc["unit_price_cents"] == 1250 and doc["amount_cents"] == 3750
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 7 and event["tickets_sold"] == 3 and event["revenue_cents"] == 3750
    # The public details (cached) show the seats taken at once.
    assert api.get(f"/events/{event_id}").json()["seats_available"] == 7

    # A later price change leaves the booking as it was sold.
    assert organizer_client.patch(f"/events/{event_id}", {"price": "20.00"}, format="json").status_code == 200
    assert book(customer_client, event_id, 1).json()["unit_price"] == "20.00"
    mine = customer_client.get("/bookings/me").json()["results"]
    assert [(b["id"], b["amount"]) for b in mine] == [("BK-0002", "20.00"), ("BK-0001", "37.50")]
    assert_invariant(event_id)


def test_a_booking_written_by_pymongo_reads_back_through_the_orm(create_event, customer_client, customer):
    event_id = create_event(publish=True, capacity=10, price="9.99")["id"]
    book(customer_client, event_id, 2)
    row = Booking.objects.get(pk="BK-0001")
    assert row.event_id == event_id and row.customer_id == customer.pk
    assert (row.qty, row.unit_price_cents, row.amount_cents, row.status) == (2, 999, 1998, "CONFIRMED")
    assert row.cancelled_by_event is False and row.cancelled_at is None


def test_ids_count_up_and_never_repeat(create_event, customer_client):
    event_id = create_event(publish=True, capacity=20, price="25.00")["id"]
    ids = [book(customer_client, event_id).json()["id"] for _ in range(3)]
    assert ids == ["BK-0001", "BK-0002", "BK-0003"]


def test_only_customers_book(create_event, organizer_client, api):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    assert book(api, event_id).status_code == 401
    response = book(organizer_client, event_id)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert collection("bookings").count_documents({}) == 0
    assert event_doc(event_id)["seats_available"] == 10


def test_unknown_event_is_404(customer_client):
    response = book(customer_client, "EVT-9999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "event_not_found"


def test_a_cancelled_event_is_409(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    response = book(customer_client, event_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_not_bookable"
    assert response.json()["error"]["status"] == "CANCELLED"
    assert collection("bookings").count_documents({}) == 0


def test_a_draft_is_404_for_bookings_holds_and_the_waiting_list_like_an_unknown_id(create_event, customer_client):
    """Nothing tells a customer that a draft's id exists: every route answers as for EVT-9999."""
    draft = create_event(capacity=10)["id"]
    for event_id in (draft, "EVT-9999"):
        answers = [
            book(customer_client, event_id),
            customer_client.post("/holds", {"eventId": event_id, "qty": 1}, format="json"),
            customer_client.post(f"/events/{event_id}/waitlist", {"qty": 1}, format="json"),
            customer_client.get(f"/events/{event_id}"),
        ]
        assert [(r.status_code, r.json()["error"]["code"]) for r in answers] == [(404, "event_not_found")] * 4
    assert collection("bookings").count_documents({}) == 0
    assert event_doc(draft)["seats_available"] == 10


def test_an_event_that_started_is_409(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    collection("events").update_one({"_id": event_id}, {"$set": {"starts_at": now() - timedelta(minutes=1)}})
    response = book(customer_client, event_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_started"
    assert event_doc(event_id)["seats_available"] == 10


def test_not_enough_seats_says_how_many_are_left(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    assert book(customer_client, event_id, 4).status_code == 201
    response = book(customer_client, event_id, 2)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "not_enough_seats" and error["seats_available"] == 1
    assert "1 seat left" in error["message"]
    assert book(customer_client, event_id, 1).status_code == 201
    error = book(customer_client, event_id, 1).json()["error"]
    assert error["code"] == "not_enough_seats" and error["seats_available"] == 0
    assert_invariant(event_id)


def test_a_sold_out_type_says_it_is_sold_out_and_where_to_wait(create_event, customer_client):
    event_id = create_event(publish=True, capacity=1, price="25.00")["id"]
    assert book(customer_client, event_id, 1).status_code == 201
    for response in (book(customer_client, event_id, 2), customer_client.post("/holds", {"eventId": event_id, "qty": 1}, format="json")):
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["seats_available"]) == (409, "not_enough_seats", 0)
        assert error["message"] == f"General admission is sold out. Join the waiting list: POST /events/{event_id}/waitlist."
    # The waiting list it names takes the customer.
    assert customer_client.post(f"/events/{event_id}/waitlist", {"qty": 2}, format="json").status_code == 201


BAD_BODIES = {
    "qty as a string": {"qty": "2"},
    "qty as a float": {"qty": 2.5},
    "qty as a whole float": {"qty": 2.0},
    "qty as a boolean": {"qty": True},
    "qty null": {"qty": None},
    "qty zero": {"qty": 0},
    "qty negative": {"qty": -1},
    "qty above the maximum": {"qty": 11},
    "qty huge": {"qty": 10**30},
    "qty missing": {"qty": ...},
    "eventId missing": {"eventId": ...},
    "eventId a number": {"eventId": 1},
    "eventId malformed": {"eventId": "evt-1"},
    "eventId too short": {"eventId": "EVT-1"},
    "eventId injection": {"eventId": {"$gt": ""}},
    "unknown field": {"seats": 1},
    "snake_case event_id": {"event_id": "EVT-0001"},
}


@pytest.mark.parametrize("change", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_is_400_and_writes_nothing(change, create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    body = {"eventId": event_id, "qty": 1, **change}
    body = {key: value for key, value in body.items() if value is not ...}
    response = customer_client.post("/bookings", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["fields"]
    assert collection("bookings").count_documents({}) == 0
    assert event_doc(event_id)["seats_available"] == 10


@pytest.mark.parametrize("raw", [b"", b"null", b"[]", b'"EVT-0001"', b"{not json"])
def test_a_missing_or_malformed_body_is_400(raw, create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response = customer_client.generic("POST", "/bookings", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert set(response.json()["error"]) >= {"code", "message"}
    assert collection("bookings").count_documents({}) == 0
    assert event_doc(event_id)["seats_available"] == 10


def test_the_maximum_per_booking_is_a_setting(settings, create_event, customer_client):
    settings.MAX_TICKETS_PER_BOOKING = 3
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response = book(customer_client, event_id, 4)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["qty"] == ["At most 3 tickets per booking."]
    assert book(customer_client, event_id, 3).status_code == 201


def test_a_failing_notification_does_not_undo_the_booking(monkeypatch, create_event, customer_client):
    def broken(*args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(dispatcher, "send", broken)
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response = book(customer_client, event_id, 2)
    assert response.status_code == 201
    assert customer_client.post(f"/bookings/{response.json()['id']}/cancel").status_code == 200
    assert_invariant(event_id)
