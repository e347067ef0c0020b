"""The offer reaches the customer it is for, and only them, on Socket.io (python-socketio
and the official JS client) and the plain WebSocket, whichever of two server processes
they listen on; the organizer hears the line's length change."""

import time

import httpx

from tests.helpers import assert_seats_add_up, book_through, post_as, token_for
from tests.realtime.clients import WAIT


def test_an_offer_reaches_the_right_customer_only_on_both_transports_across_processes(
    start_server, organizer, make_user, create_event, listeners
):
    first, second = start_server(), start_server()
    holder, next_in_line, behind = make_user(), make_user(), make_user()
    offered_clients = [listeners.socketio(second, next_in_line), listeners.websocket(second, next_in_line),
                       listeners.node(second, next_in_line), listeners.socketio(first, next_in_line)]
    others = [listeners.socketio(first, behind), listeners.websocket(second, behind), listeners.socketio(second, holder),
              listeners.websocket(first, organizer)]
    dashboard = [listeners.socketio(first, organizer), listeners.websocket(second, organizer)]
    offered_clients[1].ready(), others[1].ready(), others[3].ready(), dashboard[1].ready()
    offered_clients[2].wait_for("connect")
    event_id = create_event(publish=True, capacity=2, price="30.00")["id"]
    booking = book_through(first, holder, event_id, qty=2)

    entry = post_as(first, next_in_line, f"/events/{event_id}/waitlist", {"qty": 2}, status=201)
    post_as(second, behind, f"/events/{event_id}/waitlist", {"qty": 1}, status=201)
    for client in dashboard:
        for waiting in (1, 2):
            client.wait_for("waitlist.changed", where=lambda data: data["waiting"] == waiting)  # noqa: B023

    post_as(first, holder, f"/bookings/{booking['id']}/cancel")

    for client in offered_clients:
        offer = client.wait_for("waitlist.offer")
        assert offer["entry_id"] == entry["id"] and offer["event_id"] == event_id
        assert (offer["qty"], offer["ticket_type_id"]) == (2, entry["ticket_type_id"])
        assert offer["hold_id"].startswith("HLD-") and offer["expires_at"]
    for client in dashboard:
        changed = client.wait_for("waitlist.changed", where=lambda data: data["waiting"] == 1)
        assert changed == {"event_id": event_id, "ticket_type_id": entry["ticket_type_id"], "waiting": 1}
    (shown,) = [e for e in _entries(second, next_in_line) if e["id"] == entry["id"]]
    assert shown["state"] == "OFFERED" and shown["hold_id"] == offer["hold_id"]
    # Every client of the same user on both processes heard it; give the others time to hear anything.
    time.sleep(1)
    for client in [*others, *dashboard]:
        assert "waitlist.offer" not in client.events(), client.received
    for client in offered_clients:
        assert client.events().count("waitlist.offer") == 1
    assert_seats_add_up(event_id)


def test_those_in_line_hear_that_the_event_was_cancelled(start_server, organizer, make_user, create_event, listeners):
    server = start_server()
    holder, waiting = make_user(), make_user()
    socket, plain = listeners.socketio(server, waiting), listeners.websocket(server, waiting)
    plain.ready()
    event_id = create_event(publish=True, capacity=1)["id"]
    book_through(server, holder, event_id, qty=1)
    post_as(server, waiting, f"/events/{event_id}/waitlist", {"qty": 1}, status=201)

    post_as(server, organizer, f"/events/{event_id}/cancel", {"reason": "Storm"})

    for client in (socket, plain):
        notice = client.wait_for("event.cancelled")
        assert (notice["event_id"], notice["reason"]) == (event_id, "Storm")
    (entry,) = [e for e in _entries(server, waiting) if e["event_id"] == event_id]
    assert entry["state"] == "CLOSED"


def _entries(server, user):
    response = httpx.get(f"{server.url}/waitlist/me", headers={"Authorization": f"Bearer {token_for(user)}"}, timeout=WAIT)
    assert response.status_code == 200, response.text
    return response.json()["results"]
