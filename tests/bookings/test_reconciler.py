"""The reconciler: what it does with each kind of marker a dead request leaves.

The states are arranged with PyMongo exactly as a request killed at that step
leaves them (the crash tests in test_servers.py make them for real)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from pymongo.errors import DuplicateKeyError

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_doc, seat_counters


def leave_marker(event_id, booking_id, qty, *, price_cents=2500, age=60, take_seats=True):
    """A marker `age` seconds old, with its seats taken (a booking) or not (a cancellation), of the event's first type."""
    type_id = event_doc(event_id)["types"][0]["id"]
    marker = {"booking": booking_id, "type": type_id, "qty": qty, "amount_cents": qty * price_cents, "at": now() - timedelta(seconds=age)}
    change = {**seat_counters(qty, price_cents), **seat_counters(qty, price_cents, prefix="types.0.")} if take_seats else {}
    collection("events").update_one({"_id": event_id}, {"$push": {"pending": marker}, **({"$inc": change} if change else {})})
    return marker


def test_seats_of_a_booking_that_never_landed_come_back(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    book(customer_client, event_id, 1)
    leave_marker(event_id, "BK-0042", 3)
    assert event_doc(event_id)["seats_available"] == 1

    assert bookings_reconcile() == {"restored": 1}
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 4
    # The dead request can never land its booking now.
    with pytest.raises(DuplicateKeyError):
        collection("bookings").insert_one({"_id": "BK-0042", "status": "CONFIRMED"})
    assert bookings_reconcile() == {}


def test_recent_markers_are_left_to_their_request(create_event):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    leave_marker(event_id, "BK-0042", 2, age=0)
    assert bookings_reconcile() == {}
    assert event_doc(event_id)["seats_available"] == 3
    assert bookings_reconcile(older_than_seconds=0) == {"restored": 1}
    assert_invariant(event_id)


def test_an_interrupted_cancellation_is_finished(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    leave_marker(event_id, booking_id, 2, take_seats=False)  # died before flipping the booking

    assert bookings_reconcile() == {"finished": 1}
    assert collection("bookings").find_one({"_id": booking_id})["status"] == "CANCELLED"
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 5


def test_a_committed_cancellation_gets_its_seats_back(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    marker = leave_marker(event_id, booking_id, 2, take_seats=False)
    collection("bookings").update_one({"_id": booking_id}, {"$set": {"status": "CANCELLED", "cancelled_at": marker["at"]}})

    # The request died before telling the organizer: the reconciler records that notice too.
    assert bookings_reconcile() == {"released": 1, "notices_recorded": 1}
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 5


def test_a_cancellation_that_lost_a_race_gives_nothing_back_twice(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    assert customer_client.post(f"/bookings/{booking_id}/cancel").status_code == 200
    leave_marker(event_id, booking_id, 2, take_seats=False)  # the loser's marker

    assert bookings_reconcile() == {"dropped": 1}
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 5


def test_expired_idempotency_keys_are_forgotten(customer):
    keys = collection("idempotency_keys")
    keys.insert_one({"customer_id": customer.pk, "key": "old", "request_hash": "x", "booking_id": "BK-0001", "created_at": now() - timedelta(hours=25)})
    keys.insert_one({"customer_id": customer.pk, "key": "new", "request_hash": "x", "booking_id": "BK-0002", "created_at": now()})
    assert bookings_reconcile() == {"keys_expired": 1}
    assert [k["key"] for k in keys.find()] == ["new"]


def test_the_management_command(create_event, capsys):
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    leave_marker(event_id, "BK-0042", 2, age=5)
    call_command("reconcile_bookings")
    assert "nothing to do" in capsys.readouterr().out
    call_command("reconcile_bookings", "--older-than", "0")
    assert "restored=1" in capsys.readouterr().out
    assert_invariant(event_id)
