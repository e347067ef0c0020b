import pytest

from tests.helpers import book
from tests.realtime.conftest import listeners  # noqa: F401 - the real-time clients fixture


def canceller(client, booking_id):
    def cancel():
        response = client.post(f"/bookings/{booking_id}/cancel")
        assert response.status_code == 200, response.content
        return response.json()

    return cancel


@pytest.fixture
def sold_out(create_event, client_for, make_user):
    """sold_out(*quantities, price="10.00"): a published event whose seats are all booked by
    one new customer per quantity; returns (event_id, [cancel functions, one per booking])."""

    def make(*quantities, price="10.00"):
        event_id = create_event(publish=True, capacity=sum(quantities), price=price)["id"]
        ids = []
        for qty in quantities:
            client = client_for(make_user())
            response = book(client, event_id, qty)
            assert response.status_code == 201, response.content
            ids.append(canceller(client, response.json()["id"]))
        return event_id, ids

    return make


@pytest.fixture
def in_line(client_for, make_user):
    """in_line(event_id, qty): a new customer's client that joined the event's line."""

    def join(event_id, qty=1, **body):
        client = client_for(make_user())
        response = client.post(f"/events/{event_id}/waitlist", {"qty": qty, **body}, format="json")
        assert response.status_code == 201, response.content
        client.entry = response.json()
        return client

    return join
