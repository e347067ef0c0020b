"""GET /bookings/:id: the customer who made it, the event's organizer and staff see it;
everyone else gets the 404 of a booking that does not exist."""

from accounts.models import Role, User
from tests.helpers import PASSWORD, book


def test_a_booking_is_shown_to_its_customer_its_organizer_and_staff(create_event, customer_client, organizer_client,
                                                                   other_organizer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    made = book(customer_client, event_id, 3).json()
    staff = User.objects.create_user(email="desk@example.com", password=PASSWORD, name="Desk", role=Role.CUSTOMER, is_staff=True)

    for client in (customer_client, organizer_client, client_for(staff)):
        response = client.get(f"/bookings/{made['id']}")
        assert response.status_code == 200, response.content
        assert response.json() == made

    for client in (client_for(make_user(Role.CUSTOMER)), other_organizer_client):
        response = client.get(f"/bookings/{made['id']}")
        assert response.status_code == 404 and response.json()["error"]["code"] == "booking_not_found"
    for unknown in ("BK-9999", "nonsense"):
        assert customer_client.get(f"/bookings/{unknown}").json()["error"]["code"] == "booking_not_found"


def test_a_cancelled_booking_shows_its_new_state(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10)["id"]
    made = book(customer_client, event_id, 1).json()
    customer_client.post(f"/bookings/{made['id']}/cancel")
    shown = customer_client.get(f"/bookings/{made['id']}").json()
    assert shown["status"] == "CANCELLED" and shown["cancelled_at"] is not None
