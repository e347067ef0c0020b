from datetime import UTC, datetime, timedelta

import pytest

from eventbooking.mongo import collection


def future(days=30, hours=0):
    return datetime.now(UTC) + timedelta(days=days, hours=hours)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def event_body(**overrides):
    body = {
        "title": "Jazz Night",
        "description": "Live quartet",
        "city": "Lyon",
        "venue": "Le Sucre",
        "tags": ["jazz", "live"],
        "starts_at": iso(future()),
        "price": "12.50",
        "capacity": 50,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def event_doc(event_id):
    return collection("events").find_one({"_id": event_id})


def sell(event_id, qty, price_cents=1250):
    """Seats sold, written straight into the event as a booking would (bookings are another app)."""
    collection("events").update_one(
        {"_id": event_id},
        {"$inc": {"seats_available": -qty, "tickets_sold": qty, "revenue_cents": qty * price_cents}},
    )


@pytest.fixture
def create_event(organizer_client):
    """Create an event through the API (as `client`, default the organizer); publish it if asked."""

    def create(client=None, publish=False, **overrides):
        client = client or organizer_client
        response = client.post("/events", event_body(**overrides), format="json")
        assert response.status_code == 201, response.content
        event = response.json()
        if publish:
            response = client.post(f"/events/{event['id']}/publish")
            assert response.status_code == 200, response.content
            event = response.json()
        return event

    return create


@pytest.fixture
def draft_event(create_event):
    return create_event()


@pytest.fixture
def published_event(create_event):
    return create_event(publish=True)
