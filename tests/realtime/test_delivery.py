"""What listeners hear after real HTTP bookings and cancellations through real
daphne processes: each transport, each kind of client, the payloads, and who
hears what."""

import pytest

from shared.mongo import collection
from tests.helpers import book_through, event_body, post_as


def cancel_booking(server, user, booking_id):
    return post_as(server, user, f"/bookings/{booking_id}/cancel")


def cancel_event(server, user, event_id, reason="Venue flooded"):
    return post_as(server, user, f"/events/{event_id}/cancel", {"reason": reason})


def for_booking(booking_id):
    return lambda data: data["booking_id"] == booking_id


def expected_created(booking, event, seats_available):
    """The payload for a booking of the one default type of an event at 25.00 a seat."""
    [default] = event["types"]
    sold = event["capacity"] - seats_available
    return {
        "booking_id": booking["id"],
        "event_id": event["id"],
        "event_title": event["title"],
        "ticket_type_id": default["id"],
        "ticket_type_name": "General admission",
        "ticket_types": [
            {"id": default["id"], "name": "General admission", "tickets_sold": sold, "revenue": f"{25 * sold}.00", "seats_available": seats_available}
        ],
        "qty": booking["qty"],
        "unit_price": "25.00",
        "amount": str(25 * booking["qty"]) + ".00",
        "status": "CONFIRMED",
        "seats_available": seats_available,
        "created_at": booking["created_at"],
        "cancelled_at": None,
    }


def test_python_socketio_client_hears_booking_created(server, organizer, customer, create_event, listeners):
    listener = listeners.socketio(server, organizer)
    event = create_event(publish=True, price="25.00", capacity=100)

    booking = book_through(server, customer, event["id"], qty=2)

    notice = listener.wait_for("booking.created")
    assert notice == expected_created(booking, event, seats_available=98)
    assert collection("events").find_one({"_id": event["id"]})["seats_available"] == 98


def test_booking_created_breaks_sales_down_per_ticket_type(server, organizer, customer, organizer_client, listeners):
    listener = listeners.socketio(server, organizer)
    types = [{"name": "Standard", "price": "15.00", "capacity": 30}, {"name": "VIP", "price": "60.00", "capacity": 5}]
    event = organizer_client.post("/events", event_body(price=None, capacity=None, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    standard, vip = [t["id"] for t in event["types"]]
    post_as(server, customer, "/bookings", {"eventId": event["id"], "qty": 3, "ticketTypeId": standard}, status=201)
    booking = post_as(server, customer, "/bookings", {"eventId": event["id"], "qty": 2, "ticketTypeId": vip}, status=201)

    notice = listener.wait_for("booking.created", where=for_booking(booking["id"]))
    assert (notice["ticket_type_id"], notice["ticket_type_name"], notice["amount"], notice["seats_available"]) == (vip, "VIP", "120.00", 30)
    assert notice["ticket_types"] == [
        {"id": standard, "name": "Standard", "tickets_sold": 3, "revenue": "45.00", "seats_available": 27},
        {"id": vip, "name": "VIP", "tickets_sold": 2, "revenue": "120.00", "seats_available": 3},
    ]


@pytest.mark.parametrize(
    "transports", [("websocket",), ("polling",), ("polling", "websocket")], ids=["websocket", "polling", "browser-default"]
)
def test_javascript_socketio_client_hears_booking_created(server, organizer, customer, create_event, listeners, transports):
    node = listeners.node(server, organizer, transports=transports)
    assert node.wait_for("connect")["transport"] in transports
    event = create_event(publish=True, price="25.00", capacity=10)

    booking = book_through(server, customer, event["id"], qty=3)

    assert node.wait_for("booking.created") == expected_created(booking, event, seats_available=7)


@pytest.mark.parametrize("via", ["query", "message"])
def test_websocket_client_hears_booking_created(server, organizer, customer, create_event, listeners, via):
    websocket = listeners.websocket(server, organizer, via=via)
    websocket.ready()
    event = create_event(publish=True, price="25.00", capacity=10)

    booking = book_through(server, customer, event["id"], qty=1)

    assert websocket.wait_for("booking.created") == expected_created(booking, event, seats_available=9)


def test_organizer_hears_booking_cancelled_with_the_seats_back(server, organizer, customer, create_event, listeners):
    listener = listeners.socketio(server, organizer)
    websocket = listeners.websocket(server, organizer)
    websocket.ready()
    event = create_event(publish=True, price="25.00", capacity=10)
    booking = book_through(server, customer, event["id"], qty=4)

    cancelled = cancel_booking(server, customer, booking["id"])

    for client in (listener, websocket):
        client.wait_for("booking.created")
        notice = client.wait_for("booking.cancelled")
        assert notice == {
            **expected_created(booking, event, seats_available=10),
            "status": "CANCELLED",
            "cancelled_at": cancelled["cancelled_at"],
        }


def test_customers_holding_bookings_hear_event_cancelled(
    server, organizer, make_user, create_event, listeners
):
    holders = [make_user(), make_user()]
    bystander = make_user()
    heard = {user.pk: (listeners.socketio(server, user), listeners.websocket(server, user)) for user in [*holders, bystander]}
    for _, websocket in heard.values():
        websocket.ready()
    event = create_event(publish=True, price="25.00", capacity=10)
    other = create_event(publish=True, price="25.00", capacity=10, title="Other night")
    for user in holders:
        book_through(server, user, event["id"], qty=2)
    book_through(server, bystander, other["id"], qty=1)

    cancelled = cancel_event(server, organizer, event["id"])
    cancel_event(server, organizer, other["id"])

    for user in holders:
        for client in heard[user.pk]:
            assert client.wait_for("event.cancelled") == {
                "event_id": event["id"],
                "event_title": "Jazz Night",
                "starts_at": event["starts_at"],
                "reason": "Venue flooded",
                "cancelled_at": cancelled["cancelled_at"],
            }
    for client in heard[bystander.pk]:
        # The bystander's own event was cancelled after the first: hearing it means
        # the first cancellation had its chance to arrive, and it did not.
        assert client.wait_for("event.cancelled")["event_id"] == other["id"]
        assert [data["event_id"] for name, data in client.received if name == "event.cancelled"] == [other["id"]]


def test_nobody_hears_another_users_notifications(
    server, organizer, other_organizer, customer, client_for, create_event, listeners
):
    clients = {
        user.pk: (listeners.socketio(server, user), listeners.websocket(server, user))
        for user in (organizer, other_organizer, customer)
    }
    for _, websocket in clients.values():
        websocket.ready()
    mine = create_event(publish=True, price="25.00", capacity=10)
    theirs = create_event(publish=True, price="25.00", client=client_for(other_organizer), capacity=10, title="Their night")
    first, second = book_through(server, customer, mine["id"]), book_through(server, customer, theirs["id"])
    # What each listener hears last was sent after both bookings: had a booking
    # reached the wrong listener, it would have arrived before that.
    third, fourth = book_through(server, customer, mine["id"]), book_through(server, customer, theirs["id"])
    cancel_event(server, organizer, mine["id"])

    for user, own, last in ((organizer, first, third), (other_organizer, second, fourth)):
        for client in clients[user.pk]:
            client.wait_for("booking.created", where=for_booking(last["id"]))
            heard = sorted(data["booking_id"] for name, data in client.received if name == "booking.created")
            assert heard == sorted([own["id"], last["id"]])
            assert "event.cancelled" not in client.events()
    for client in clients[customer.pk]:
        client.wait_for("event.cancelled")
        assert [name for name in client.events() if name != "ready"] == ["event.cancelled"]
