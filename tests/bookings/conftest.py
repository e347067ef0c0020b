"""Helpers for booking tests: events made through the HTTP API, customers in bulk,
and the invariant every event must satisfy at rest."""

import uuid

import pytest

from accounts.models import Role, User
from accounts.services import user_issue_tokens
from eventbooking.mongo import collection
from tests.conftest import event_doc


@pytest.fixture
def make_event(create_event):
    """A published (unless publish=False) event made through the API; returns its id."""

    def make(capacity=10, price="25.00", publish=True, client=None, title="Jazz Night"):
        event = create_event(
            client=client, publish=publish, capacity=capacity, price=price, title=title, description=None, tags=None
        )
        return event["id"]

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
