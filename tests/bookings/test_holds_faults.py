"""Failures at each step of a hold and of a booking made from one (BOOKING_FAULT_INJECTION):
the invariant capacity == seats_available + seats_held + confirmed seats holds throughout."""

from datetime import timedelta

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.bookings.test_holds import hold
from tests.helpers import hold_expire, holds_of, assert_invariant, event_doc


def claim(client, hold_id):
    return client.post("/bookings", {"holdId": hold_id}, format="json")


def test_a_hold_failing_before_its_answer_is_undone(inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4)["id"]
    inject("after_hold")
    assert hold(customer_client, event_id, 3).status_code == 500
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 4 and holds_of(event_id) == []
    assert customer_client.get("/holds/me").json()["results"] == []


def test_a_hold_left_by_a_dead_request_expires_like_any_other(create_event, customer_client):
    """What a kill right after the hold's update leaves: a hold nobody was told of but its customer's list."""
    event_id = create_event(publish=True, capacity=4)["id"]
    hold(customer_client, event_id, 3)
    assert bookings_reconcile(older_than_seconds=0) == {}
    hold_expire(holds_of(event_id)[0]["id"])
    assert bookings_reconcile() == {"holds_expired": 1}
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 4 and event["seats_held"] == 0


def test_a_booking_from_a_hold_failing_before_its_insert_puts_the_seats_on_sale(inject, create_event, customer_client):
    """The hold is consumed by the claim; the rollback returns the seats to sale, not to the hold
    (the customer got an error and holds nothing: what they see in GET /holds/me)."""
    event_id = create_event(publish=True, capacity=4, price="10.00")["id"]
    hold_id = hold(customer_client, event_id, 3).json()["id"]
    inject("after_reserve")
    response = claim(customer_client, hold_id)
    assert response.status_code == 500
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 4 and event["seats_held"] == 0
    assert collection("bookings").find_one({})["status"] == "VOID"
    assert customer_client.get("/holds/me").json()["results"] == []
    inject("")
    assert claim(customer_client, hold_id).status_code == 404


def test_a_booking_from_a_hold_failing_after_its_insert_stands(inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4, price="10.00")["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    inject("after_insert")
    response = claim(customer_client, hold_id)
    assert response.status_code == 201
    doc = event_doc(event_id)
    assert [m["booking"] for m in doc["pending"]] == [response.json()["id"]] and doc["seats_held"] == 0
    assert bookings_reconcile(older_than_seconds=0) == {"kept": 1}
    event, rows = assert_invariant(event_id)
    assert [row["_id"] for row in rows] == [response.json()["id"]] and event["seats_available"] == 2


def test_the_reconciler_restores_the_seats_of_a_claim_whose_request_died(create_event, customer_client):
    """As a kill between the claim's seat move and the booking's insert leaves it: the hold
    spent, its seats counted sold under a marker, no booking."""
    event_id = create_event(publish=True, capacity=5, price="10.00")["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    held = holds_of(event_id)[0]
    marker = {"booking": "BK-0077", "type": held["type"], "qty": 2, "amount_cents": 2000, "at": now() - timedelta(minutes=1)}
    moved = {"seats_held": -2, "tickets_sold": 2, "revenue_cents": 2000}
    collection("events").update_one(
        {"_id": event_id},
        {"$inc": {**moved, **{f"types.0.{k}": v for k, v in moved.items()}}, "$push": {"pending": marker}},
    )
    collection("holds").update_one({"_id": hold_id}, {"$set": {"state": "BOOKED", "booking": "BK-0077", "ended_at": marker["at"]}})
    assert bookings_reconcile() == {"restored": 1}
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 5
