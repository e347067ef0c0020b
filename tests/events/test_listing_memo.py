"""The listings keep the JSON of the event states they have shown (events/listing.py),
and never show one older than an acknowledged write."""

import time
from datetime import timedelta

import httpx

from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import book, event_body, iso, token_for


def shown(client, event_id, path="/events"):
    return next(event for event in client.get(path).json()["results"] if event["id"] == event_id)


def sneak(event_id, **changes):
    """A write that bypasses the services, and so the version bump the kept JSON is checked against."""
    collection("events").update_one({"_id": event_id}, {"$set": changes})


def test_a_listing_serves_what_it_has_shown_while_the_version_is_unchanged(api, published_event):
    assert shown(api, published_event["id"])["title"] == "Jazz Night"
    sneak(published_event["id"], title="Sneaked")
    # Still the kept JSON: proof the tests below exercise it.
    assert shown(api, published_event["id"])["title"] == "Jazz Night"


def test_with_the_memo_off_every_listing_renders_the_documents(api, published_event, settings):
    settings.EVENT_JSON_MEMO_SIZE = 0
    shown(api, published_event["id"])
    sneak(published_event["id"], title="Sneaked")
    assert shown(api, published_event["id"])["title"] == "Sneaked"


def test_each_write_is_seen_by_the_next_listing(api, organizer_client, customer_client, create_event):
    event_id = create_event(publish=True, capacity=10)["id"]
    other = create_event(publish=True, title="Other")["id"]
    assert shown(api, event_id)["seats_available"] == 10
    assert shown(organizer_client, event_id, "/events/me")["tickets_sold"] == 0
    assert book(customer_client, event_id, 3).status_code == 201
    assert shown(api, event_id)["seats_available"] == 7
    assert shown(organizer_client, event_id, "/events/me")["tickets_sold"] == 3
    assert organizer_client.patch(f"/events/{event_id}", {"title": "Renamed"}, format="json").status_code == 200
    assert shown(api, event_id)["title"] == "Renamed"
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    assert [event["id"] for event in api.get("/events").json()["results"]] == [other]
    assert shown(organizer_client, event_id, "/events/me")["status"] == "CANCELLED"


def test_on_sale_turns_true_when_the_sale_window_opens(api, organizer_client):
    opens = now() + timedelta(seconds=2)
    body = event_body(price=None, capacity=None, types=[{"name": "Early", "price": "5.00", "capacity": 5, "sales_start": iso(opens)}])
    event_id = organizer_client.post("/events", body, format="json").json()["id"]
    assert organizer_client.post(f"/events/{event_id}/publish").status_code == 200
    assert shown(api, event_id)["types"][0]["on_sale"] is False
    time.sleep(max(0, (opens - now()).total_seconds()) + 0.1)
    assert shown(api, event_id)["types"][0]["on_sale"] is True


def test_another_process_sees_a_booking_made_here_at_once(server, create_event, customer_client):
    """The server process keeps the JSON it showed; a booking made in this process bumps the version."""
    event_id = create_event(publish=True, capacity=10)["id"]

    def seats():
        listing = httpx.get(f"{server.url}/events", timeout=30).json()["results"]
        return next(event["seats_available"] for event in listing if event["id"] == event_id)

    assert seats() == 10
    assert book(customer_client, event_id, 2).status_code == 201
    assert seats() == 8
