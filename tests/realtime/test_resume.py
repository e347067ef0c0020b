"""Resuming after a disconnection, on both transports and across server processes:
every notice after the client's last id, once, in order, then the live ones with no
gap and no duplicate at the seam; a `notices.gap` first when some expired."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bookings.services.reconcile import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from notifications.log import notice_record
from tests.helpers import book_through, token_for
from tests.realtime.clients import WAIT, SocketIOListener, WebSocketListener


def book_many(servers, customers, event_id, count, workers=6):
    """`count` bookings of 1 seat, spread over `servers` and `customers`; their ids."""

    def one(n):
        return book_through(servers[n % len(servers)], customers[n % len(customers)], event_id, qty=1)["id"]

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(count)))


def assert_exactly(notices, after, booking_ids):
    """The notices are booking.created for exactly `booking_ids`, numbered after+1, after+2, ... in arrival order."""
    assert [notice_id for _, notice_id, _ in notices] == list(range(after + 1, after + 1 + len(booking_ids)))
    assert {kind for kind, _, _ in notices} == {"booking.created"}
    told = [data["booking_id"] for _, _, data in notices]
    assert sorted(told) == sorted(booking_ids) and len(set(told)) == len(told)


def test_a_client_back_on_another_process_gets_exactly_the_200_bookings_made_while_away(
    server, start_server, organizer, create_event, listeners, make_user
):
    other = start_server(extra_env={"BOOKING_ID_BLOCK": "1"})
    customers = [make_user() for _ in range(4)]
    event_id = create_event(publish=True, capacity=500, price="10.00")["id"]
    before = listeners.socketio(server, organizer)
    book_through(server, customers[0], event_id)
    [(_, last_id, _)] = before.wait_for_notices(1)
    before.close()

    away = book_many([server, other], customers, event_id, 200)

    # Back on the other process, on every client: python-socketio, the JavaScript client, a raw WebSocket.
    clients = [
        listeners.socketio(other, organizer, last_id=last_id),
        listeners.node(other, organizer, last_id=last_id),
        listeners.websocket(other, organizer, last_id=last_id),
    ]
    for client in clients:
        assert_exactly(client.wait_for_notices(200), last_id, away)
    # Then the live ones, with no gap and no duplicate.
    live = book_through(server, customers[1], event_id)["id"]
    for client in clients:
        notices = client.wait_for_notices(201)
        assert notices[-1][1:] == (last_id + 201, notices[-1][2]) and notices[-1][2]["booking_id"] == live
        assert "notices.gap" not in client.events()
    for client in clients:
        client.close()
    for client in clients:
        assert len(client.notices) == 201


def test_bookings_during_the_reconnection_arrive_once_each_in_order(
    server, start_server, organizer, create_event, listeners, make_user
):
    """The seam: the client subscribes, then replays; live notices that overlap the replay are dropped."""
    other = start_server(extra_env={"BOOKING_ID_BLOCK": "1"})
    buyers = [make_user() for _ in range(4)]
    event_id = create_event(publish=True, capacity=500, price="10.00")["id"]
    first = listeners.socketio(server, organizer)
    book_through(server, buyers[0], event_id)
    [(_, last_id, _)] = first.wait_for_notices(1)
    first.close()
    # A long replay, so that bookings made meanwhile arrive live while it runs.
    seeded = [f"SEED-{n}" for n in range(1500)]
    for booking_id in seeded:
        notice_record(recipient=organizer.pk, kind="booking.created", data={"booking_id": booking_id}, key=f"seed:{booking_id}")

    booked = []
    done = threading.Event()

    def keep_booking():
        n = 0
        while not done.is_set() and n < 120:
            booked.append(book_through([server, other][n % 2], buyers[n % 4], event_id)["id"])
            n += 1

    writers = [threading.Thread(target=keep_booking) for _ in range(2)]
    for writer in writers:
        writer.start()
    while len(booked) < 20:
        threading.Event().wait(0.05)
    # Reconnect while bookings keep coming, through both processes.
    clients = [listeners.socketio(other, organizer, last_id=last_id), listeners.websocket(server, organizer, last_id=last_id, via="message")]
    while len(booked) < 60:
        threading.Event().wait(0.05)
    done.set()
    for writer in writers:
        writer.join(WAIT)
    for client in clients:
        assert_exactly(client.wait_for_notices(len(seeded) + len(booked)), last_id, seeded + booked)
    threading.Event().wait(1)  # nothing more comes: no duplicate arrives late
    for client in clients:
        assert len(client.notices) == len(seeded) + len(booked)


def test_a_client_whose_missed_notices_expired_is_told_first(server, organizer, customer, create_event, listeners):
    event_id = create_event(publish=True, capacity=50, price="10.00")["id"]
    watching = listeners.socketio(server, organizer)
    booked = [book_through(server, customer, event_id)["id"] for _ in range(5)]
    ids = [notice_id for _, notice_id, _ in watching.wait_for_notices(5)]
    watching.close()
    collection("notices").update_many({"seq": {"$lte": ids[2]}}, {"$set": {"expires_at": now() - timedelta(seconds=1)}})
    bookings_reconcile(older_than_seconds=0)

    clients = [
        listeners.socketio(server, organizer, last_id=ids[0]),
        listeners.websocket(server, organizer, last_id=ids[0]),
        listeners.node(server, organizer, last_id=ids[0]),
    ]

    for client in clients:
        notices = client.wait_for_notices(2)
        assert [data["booking_id"] for _, _, data in notices] == booked[3:]
        names = [name for name in client.events() if name not in ("connect", "ready")]
        assert names == ["notices.gap", "booking.created", "booking.created"]
        gap = client.wait_for("notices.gap")
        assert gap == {"after": ids[0], "resumes_after": ids[2], "retention_days": 7.0}


def test_a_malformed_last_id_is_refused(server, organizer, listeners):
    refusal = SocketIOListener(server.url, token_for(organizer), last_id="seven").refused()
    assert refusal["data"]["code"] == "bad_last_id"
    error, code = WebSocketListener(server.ws_url, token_for(organizer), via="message", last_id=-3).refused()
    assert (error["code"], code) == ("bad_last_id", 4400)
