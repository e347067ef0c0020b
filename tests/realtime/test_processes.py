"""Several server processes: the fan-out goes through Redis; one process without
Redis still delivers; a broken notification path never holds a booking back."""

import re
import socket
import time

import httpx
import pytest
import redis
from django.conf import settings

from notifications.services import BOOKING_CREATED, EVENT_CANCELLED, notify
from shared.mongo import collection
from tests.helpers import book_through
from tests.realtime.clients import WAIT


def test_booking_through_one_process_reaches_an_organizer_on_another(
    start_server, organizer, customer, create_event, listeners
):
    first, second = start_server(), start_server()
    on_second = [listeners.socketio(second, organizer), listeners.websocket(second, organizer), listeners.node(second, organizer)]
    on_second[1].ready()
    on_second[2].wait_for("connect")
    on_first = listeners.socketio(first, organizer)
    event = create_event(publish=True, price="25.00", capacity=10)

    through_first = book_through(first, customer, event["id"], qty=2)
    through_second = book_through(second, customer, event["id"], qty=1)

    for client in [*on_second, on_first]:
        for booking in (through_first, through_second):
            client.wait_for("booking.created", where=lambda data: data["booking_id"] == booking["id"])  # noqa: B023
    # Each process delivered each booking once, whichever process published it.
    for client in [*on_second, on_first]:
        assert client.events().count("booking.created") == 2


def test_single_process_without_redis_delivers_in_memory(start_server, organizer, customer, create_event, listeners):
    alone = start_server(redis=False)
    assert httpx.get(f"{alone.url}/health", timeout=WAIT).json()["redis"] == "not configured"
    clients = [listeners.socketio(alone, organizer), listeners.websocket(alone, organizer)]
    clients[1].ready()
    event = create_event(publish=True, price="25.00", capacity=10)

    booking = book_through(alone, customer, event["id"], qty=2)

    for client in clients:
        assert client.wait_for("booking.created")["booking_id"] == booking["id"]


def test_notifications_from_outside_a_server_reach_listeners_through_redis(server, organizer, customer, listeners):
    """A management command or the reconciler sends from its own process: Redis carries it."""
    clients = [listeners.socketio(server, organizer), listeners.websocket(server, organizer), listeners.socketio(server, customer)]
    clients[1].ready()
    event = {"_id": "EVT-0042", "title": "Late show", "organizer_id": organizer.pk, "seats_available": 7,
             "starts_at": None, "cancel_reason": "", "cancelled_at": None}
    booking = {"_id": "BK-0042", "event_id": "EVT-0042", "customer_id": customer.pk, "qty": 3, "unit_price_cents": 1000,
               "amount_cents": 3000, "status": "CONFIRMED", "created_at": None, "cancelled_at": None}

    assert notify(BOOKING_CREATED, booking=booking, event=event)
    assert notify(EVENT_CANCELLED, event=event, customer_ids=[customer.pk])

    for client in clients[:2]:
        notice = client.wait_for("booking.created")
        assert (notice["booking_id"], notice["amount"], notice["seats_available"]) == ("BK-0042", "30.00", 7)
    assert clients[2].wait_for("event.cancelled")["event_id"] == "EVT-0042"


@pytest.mark.parametrize("documents", [{}, {"booking": None}, {"event": "EVT-0001"}, {"kind": "booking.deleted"}])
def test_a_notification_that_cannot_be_made_is_logged_not_raised(documents, caplog):
    kind = documents.get("kind", BOOKING_CREATED)
    sent = notify(kind, booking=documents.get("booking", {}), event=documents.get("event", {}))
    assert sent is False
    assert f"notification {kind} failed" in caplog.text


@pytest.fixture
def silent_port():
    """A port that accepts TCP connections and never answers (the kernel's backlog)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("broken", ["closed_port", "silent_port"])
def test_booking_answers_when_notifications_cannot_be_delivered(
    request, broken, start_server, organizer, customer, create_event, listeners
):
    """Fan-out pointed at a dead Redis (closed port) or one that never answers: the
    booking still answers 201 and stands; listeners on the same process, on both
    transports, still hear it; the failure to reach Redis is logged by the server."""
    port = request.getfixturevalue(broken)
    server = start_server(extra_env={"REALTIME_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    listener = listeners.socketio(server, organizer)
    websocket = listeners.websocket(server, organizer)
    websocket.ready()
    event = create_event(publish=True, price="25.00", capacity=10)

    failure = re.compile(rf"notification booking\.created to user {organizer.pk} failed")

    booking = book_through(server, customer, event["id"], qty=2)
    again = book_through(server, customer, event["id"], qty=1)

    assert collection("bookings").count_documents({"event_id": event["id"], "status": "CONFIRMED"}) == 2
    assert collection("events").find_one({"_id": event["id"]})["seats_available"] == 7
    expected = sorted([booking["id"], again["id"]])
    # Socket.io delivers to this process's own clients before publishing to Redis; the
    # WebSocket endpoint sends to its own connections from memory.
    assert sorted(listener.wait_for("booking.created")["booking_id"] for _ in range(2)) == expected
    assert sorted(websocket.wait_for("booking.created")["booking_id"] for _ in range(2)) == expected
    deadline = time.monotonic() + WAIT
    while not failure.search(server.output()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert failure.search(server.output()), server.output()


def subscribers(user):
    """How many server processes listen in Redis for `user`'s notifications."""
    [(_, count)] = redis.Redis.from_url(settings.REDIS_URL).pubsub_numsub(f"{settings.REALTIME_CHANNEL_PREFIX}:user:{user.pk}")
    return count


def test_processes_listen_in_redis_only_for_users_connected_to_them(start_server, organizer, customer, create_event, listeners):
    """A notification for a user nobody listens to reaches no process (one PUBLISH to
    no one); each process with listeners of a user listens once, whatever the number
    or transport of its connections, and stops when the last one closes."""
    first, second = start_server(), start_server()
    assert (subscribers(organizer), subscribers(customer)) == (0, 0)
    on_first = [listeners.socketio(first, organizer), listeners.websocket(first, organizer), listeners.socketio(first, organizer)]
    on_first[1].ready()
    assert (subscribers(organizer), subscribers(customer)) == (1, 0)
    on_second = listeners.websocket(second, organizer)
    on_second.ready()
    assert subscribers(organizer) == 2
    event = create_event(publish=True, price="25.00", capacity=10)

    booking = book_through(second, customer, event["id"], qty=1)

    for client in [*on_first, on_second]:
        assert client.wait_for("booking.created")["booking_id"] == booking["id"]
    for client in on_first:
        client.close()
    deadline = time.monotonic() + WAIT
    while subscribers(organizer) != 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert subscribers(organizer) == 1
