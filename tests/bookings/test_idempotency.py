"""Idempotency-Key on POST /bookings: one booking per (customer, key, body)."""

from datetime import timedelta

import pytest

from bookings.services import idempotency
from bookings.models import IdempotencyKey
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_doc

KEY = "7f9c0d3e-0b4a-4c55-9a7e-1d2b3c4d5e6f"


def test_a_retry_returns_the_original_booking(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    first = book(customer_client, event_id, 2, **{"Idempotency-Key": KEY})
    assert first.status_code == 201
    again = book(customer_client, event_id, 2, **{"Idempotency-Key": KEY})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert collection("bookings").count_documents({"status": "CONFIRMED"}) == 1
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 3
    row = IdempotencyKey.objects.get(key=KEY)
    assert row.booking_id == first.json()["id"] and len(row.request_hash) == 64


def test_the_same_key_with_another_body_is_422(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    other = create_event(publish=True, capacity=5, price="25.00")["id"]
    book(customer_client, event_id, 2, **{"Idempotency-Key": KEY})
    for event, qty in ((event_id, 3), (other, 2)):
        response = book(customer_client, event, qty, **{"Idempotency-Key": KEY})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert collection("bookings").count_documents({}) == 1
    assert event_doc(other)["seats_available"] == 5


def test_keys_belong_to_one_customer(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    mine = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY}).json()["id"]
    theirs = book(client_for(make_user()), event_id, 1, **{"Idempotency-Key": KEY})
    assert theirs.status_code == 201 and theirs.json()["id"] != mine


def test_a_refused_request_does_not_hold_its_key(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=2, price="25.00")["id"]
    assert book(customer_client, event_id, 3, **{"Idempotency-Key": KEY}).status_code == 409
    assert organizer_client.patch(f"/events/{event_id}", {"capacity": 3}, format="json").status_code == 200
    assert book(customer_client, event_id, 3, **{"Idempotency-Key": KEY}).status_code == 201


def test_a_failed_booking_does_not_hold_its_key(settings, create_event, customer_client):
    event_id = create_event(publish=True, capacity=2, price="25.00")["id"]
    settings.TESTING, settings.BOOKING_FAULT_INJECTION = True, "after_reserve"
    assert book(customer_client, event_id, 1, **{"Idempotency-Key": KEY}).status_code == 500
    settings.BOOKING_FAULT_INJECTION = ""
    assert book(customer_client, event_id, 1, **{"Idempotency-Key": KEY}).status_code == 201
    assert_invariant(event_id)


def test_keys_expire_after_a_day(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    first = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY}).json()["id"]
    collection("idempotency_keys").update_one({}, {"$set": {"created_at": now() - timedelta(hours=24, seconds=1)}})
    again = book(customer_client, event_id, 2, **{"Idempotency-Key": KEY})
    assert again.status_code == 201 and again.json()["id"] != first
    assert book(customer_client, event_id, 2, **{"Idempotency-Key": KEY}).json()["id"] == again.json()["id"]
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 2


def test_a_request_that_died_holding_the_key_is_taken_over(create_event, customer_client, customer):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    # Same key, same body, a booking id that never landed, a minute ago.
    book(customer_client, event_id, 1, **{"Idempotency-Key": "warm-up"})
    held = collection("idempotency_keys").find_one({"key": "warm-up"})
    collection("idempotency_keys").insert_one(
        {"customer_id": customer.pk, "key": KEY, "request_hash": held["request_hash"], "booking_id": "BK-0099", "created_at": now() - timedelta(minutes=1)}
    )
    response = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert response.status_code == 201 and response.json()["id"] != "BK-0099"
    assert collection("bookings").find_one({"_id": "BK-0099"})["status"] == "VOID"
    assert_invariant(event_id)


def test_a_request_still_holding_the_key_makes_the_retry_wait_then_409(monkeypatch, create_event, customer_client, customer):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.5)
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    book(customer_client, event_id, 1, **{"Idempotency-Key": "warm-up"})
    digest = collection("idempotency_keys").find_one({"key": "warm-up"})["request_hash"]
    collection("idempotency_keys").insert_one({"customer_id": customer.pk, "key": KEY, "request_hash": digest, "booking_id": "BK-0099", "created_at": now()})
    response = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert collection("bookings").find_one({"_id": "BK-0099"}) is None


@pytest.mark.parametrize("key", ["", " padded ", "x" * 256, "tab\there", "é"])
def test_a_malformed_key_is_400(key, create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response = customer_client.post("/bookings", {"eventId": event_id, "qty": 1}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert collection("bookings").count_documents({}) == 0
