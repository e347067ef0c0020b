"""Failures at each step of a booking or a cancellation (BOOKING_FAULT_INJECTION):
the seats and counters come back, at once or when the reconciler runs."""

import os
import subprocess
import sys

from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_doc


def test_failing_after_the_seats_are_taken_puts_them_back(inject, create_event, customer_client, api):
    event_id = create_event(publish=True, capacity=4, price="25.00")["id"]
    book(customer_client, event_id, 1)
    inject("after_reserve")
    response = book(customer_client, event_id, 2)
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 3 and len(rows) == 1
    assert api.get(f"/events/{event_id}").json()["seats_available"] == 3
    # The failed booking's id is fenced: it can never become a booking.
    assert collection("bookings").find_one({"_id": "BK-0002"})["status"] == "VOID"
    assert customer_client.get("/bookings/me").json()["count"] == 1


def test_failing_after_the_insert_keeps_the_booking(inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4, price="25.00")["id"]
    inject("after_insert")
    response = book(customer_client, event_id, 2)
    assert response.status_code == 201
    # The booking stands; its marker is left for the reconciler.
    event = event_doc(event_id)
    assert [m["booking"] for m in event["pending"]] == ["BK-0001"]
    assert event["seats_available"] == 2 and event["tickets_sold"] == 2
    assert bookings_reconcile(older_than_seconds=0) == {"kept": 1}
    event, rows = assert_invariant(event_id)
    assert [row["_id"] for row in rows] == ["BK-0001"]


def test_a_booking_whose_request_died_can_still_be_cancelled(inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4, price="25.00")["id"]
    inject("after_insert")
    booking_id = book(customer_client, event_id, 2).json()["id"]
    inject("")
    # Its marker is old now, as after a crash; the cancel settles it instead of waiting.
    long_ago = now() - timedelta(minutes=1)
    collection("events").update_one({"_id": event_id}, {"$set": {"pending.0.at": long_ago}})
    collection("bookings").update_one({"_id": booking_id}, {"$set": {"created_at": long_ago}})
    assert customer_client.post(f"/bookings/{booking_id}/cancel").status_code == 200
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 4


def test_failing_after_the_marker_is_pulled_changes_nothing(inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4, price="25.00")["id"]
    inject("after_unmark")
    assert book(customer_client, event_id, 2).status_code == 201
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 2


@pytest.mark.parametrize("point", ["cancel_after_mark", "cancel_after_flip"])
def test_a_cancellation_interrupted_midway_is_finished(point, inject, create_event, customer_client):
    event_id = create_event(publish=True, capacity=4, price="10.00")["id"]
    booking_id = book(customer_client, event_id, 3).json()["id"]
    inject(point)
    response = customer_client.post(f"/bookings/{booking_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "CANCELLED"
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 4 and event["revenue_cents"] == 0


def test_a_cascade_interrupted_midway_is_finished_by_the_reconciler(inject, create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=6, price="10.00")["id"]
    ids = [book(customer_client, event_id, 2).json()["id"] for _ in range(2)]
    inject("cascade_after_flip")
    # The event's cancellation stands even though its cascade stopped.
    response = organizer_client.post(f"/events/{event_id}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    event = event_doc(event_id)
    assert event["tickets_sold"] == 4 and event["seats_available"] == 2
    assert all(collection("bookings").find_one({"_id": i})["status"] == "CANCELLED" for i in ids)

    inject("")
    # The stopped cascade had told nobody: the reconciler tells the customer (notices_recorded).
    assert bookings_reconcile(older_than_seconds=0) == {"cascades": 1, "notices_recorded": 1}
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 6 and event["revenue_cents"] == 0


def test_the_switch_is_ignored_unless_debug_or_testing(settings, create_event, customer_client):
    settings.DEBUG = False
    settings.TESTING = False
    settings.BOOKING_FAULT_INJECTION = "after_reserve"
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    assert book(customer_client, event_id).status_code == 201
    assert_invariant(event_id)


def test_a_production_process_refuses_to_start_with_the_switch_set():
    env = {**os.environ, "DEBUG": "0", "TESTING": "0", "SECRET_KEY": "x" * 50, "BOOKING_FAULT_INJECTION": "after_reserve",
           "TICKET_SIGNING_KEY": django_settings.TICKET_SIGNING_KEY}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**env, "DJANGO_SETTINGS_MODULE": "eventbooking.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "BOOKING_FAULT_INJECTION is for tests" in result.stderr


def test_an_event_cancelled_while_a_booking_is_made_answers_409_not_a_confirmed_booking(
    monkeypatch, create_event, customer_client, organizer
):
    """The organizer cancels between the booking's insert and its marker's pull (the
    interleaving is forced at that fault point): the cascade cancels the new booking,
    so the customer is told the event is not bookable, and nobody hears booking.created."""
    from bookings.services import reserve
    from events.services import event_cancel

    event_id = create_event(publish=True, capacity=4, price="10.00")["id"]
    real_checkpoint = reserve.checkpoint

    def cancel_midway(point):
        if point == "after_insert":
            event_cancel(event_id=event_id, actor=organizer, reason="Storm")
        real_checkpoint(point)

    monkeypatch.setattr(reserve, "checkpoint", cancel_midway)
    response = book(customer_client, event_id, 2)
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "event_not_bookable"
    [booking] = customer_client.get("/bookings/me").json()["results"]
    assert booking["status"] == "CANCELLED"
    event, rows = assert_invariant(event_id)
    assert event["status"] == "CANCELLED" and rows == []
