"""Helpers for booking tests: events made through the HTTP API, customers in bulk,
and the invariant every event must satisfy at rest."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import Role, User
from accounts.services import user_issue_tokens
from eventbooking.mongo import collection


def future_iso(days=30):
    return (datetime.now(UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def make_event(organizer_client):
    """POST /events, then POST /events/:id/publish unless publish=False; returns the event id."""

    def make(capacity=10, price="25.00", publish=True, client=None, title="Jazz Night"):
        client = client or organizer_client
        body = {"title": title, "city": "Lyon", "venue": "Le Sucre", "starts_at": future_iso(), "price": price, "capacity": capacity}
        response = client.post("/events", body, format="json")
        assert response.status_code == 201, response.content
        event_id = response.json()["id"]
        if publish:
            response = client.post(f"/events/{event_id}/publish")
            assert response.status_code == 200, response.content
        return event_id

    return make


def make_customers(count):
    """Customers with tokens, without paying Argon2 for each (they never log in)."""
    tokens = []
    for _ in range(count):
        user = User(name="Buyer", email=f"buyer-{uuid.uuid4().hex[:10]}@example.com", role=Role.CUSTOMER)
        user.set_unusable_password()
        user.save()
        tokens.append(user_issue_tokens(user=user)["access"])
    return tokens


def event_doc(event_id):
    return collection("events").find_one({"_id": event_id})


def confirmed(event_id):
    return list(collection("bookings").find({"event_id": event_id, "status": "CONFIRMED"}))


def assert_invariant(event_id):
    """capacity == seats_available + confirmed seats; sold and revenue equal the bookings'; no marker left."""
    event = event_doc(event_id)
    rows = confirmed(event_id)
    seats = sum(row["qty"] for row in rows)
    assert event["pending"] == []
    assert event["capacity"] == event["seats_available"] + seats, (event, seats)
    assert event["tickets_sold"] == seats
    assert event["revenue_cents"] == sum(row["amount_cents"] for row in rows)
    return event, rows


def book(client, event_id, qty=1, **headers):
    return client.post("/bookings", {"eventId": event_id, "qty": qty}, format="json", headers=headers or None)
