"""An event that has started is history: it cannot be rescheduled or edited, only cancelled."""

from datetime import UTC, datetime, timedelta

import pytest

from django.core.cache import cache

from shared.mongo import collection
from tests.helpers import future, iso


def start_it(event_id):
    collection("events").update_one({"_id": event_id}, {"$set": {"starts_at": datetime.now(UTC) - timedelta(minutes=5)}})
    cache.clear()  # the cached copy too, as if the clock had moved


@pytest.mark.parametrize(
    "change",
    [{"starts_at": iso(future(days=10))}, {"title": "Renamed"}, {"capacity": 80}, {"price": "1.00"}],
)
def test_a_started_event_cannot_be_edited(organizer_client, customer_client, create_event, change):
    event = create_event(publish=True)
    start_it(event["id"])
    response = organizer_client.patch(f"/events/{event['id']}", change, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "event_started"
    stored = collection("events").find_one({"_id": event["id"]})
    assert stored["starts_at"].replace(tzinfo=UTC) < datetime.now(UTC) and stored["title"] == event["title"]
    # Not on sale again.
    booking = customer_client.post("/bookings", {"eventId": event["id"], "qty": 1}, format="json")
    assert booking.status_code == 409 and booking.json()["error"]["code"] == "event_started", booking.content


def test_a_started_event_can_still_be_cancelled(organizer_client, create_event):
    event = create_event(publish=True)
    start_it(event["id"])
    response = organizer_client.post(f"/events/{event['id']}/cancel")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "CANCELLED"


def test_a_draft_with_a_past_date_can_still_be_rescheduled(organizer_client, create_event):
    event = create_event()
    past = iso(datetime.now(UTC) - timedelta(days=1))
    assert organizer_client.patch(f"/events/{event['id']}", {"starts_at": past}, format="json").status_code == 200
    moved = organizer_client.patch(f"/events/{event['id']}", {"starts_at": iso(future(days=5))}, format="json")
    assert moved.status_code == 200, moved.content
