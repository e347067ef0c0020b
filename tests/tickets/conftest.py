import pytest

from tests.helpers import book


@pytest.fixture
def tickets_of(client_for):
    """tickets_of(customer, booking_id): GET /bookings/:id/tickets as the customer; the JSON."""

    def get(customer, booking_id):
        response = client_for(customer).get(f"/bookings/{booking_id}/tickets")
        assert response.status_code == 200, response.content
        return response.json()

    return get


@pytest.fixture
def booking(published_event, customer_client):
    """Three seats of the published event, booked by the customer."""
    response = book(customer_client, published_event["id"], qty=3)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def codes(booking, customer, tickets_of):
    return [ticket["code"] for ticket in tickets_of(customer, booking["id"])["results"]]


@pytest.fixture
def scan(organizer_client):
    """scan(code, client=organizer, event_id=the code's, gate, nonce): POST /events/:id/checkins."""
    counter = iter(range(1, 1_000_000))

    def post(code, *, event_id, client=None, gate="North", nonce=None, **extra):
        body = {"code": code, "gate": gate, "nonce": nonce or f"nonce-{next(counter):06d}", **extra}
        return (client or organizer_client).post(f"/events/{event_id}/checkins", body, format="json")

    return post
