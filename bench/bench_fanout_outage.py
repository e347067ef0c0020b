"""How the fan-out between processes comes back after a Redis outage, per REALTIME_FANOUT.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_fanout_outage.py \
        [--fanout ours socketio channels] [--outage 3 20]

For each fan-out and outage length: two daphne processes share a redis-server of this
run's own. Organizer 1 listens on process B (Socket.io and a raw WebSocket) before
Redis is killed; organizer 2 connects to B (raw WebSocket) while Redis is down. After
`outage` seconds Redis comes back, empty, and customers book both organizers' events
through process A every 0.2 s: printed is how long after Redis answered again each
listener first hears a booking made through A (or "never" within --wait seconds).
Notices lost meanwhile are in the log (a reconnecting client gets them with last_id).
Prints figures; never passes or fails.
"""

import argparse
import logging
import threading
import time

from setup_django import setup_django

setup_django("bench_fanout_outage")

import httpx  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from common import FANOUTS, clear, published_event, user  # noqa: E402
from tests.realtime.clients import SocketIOListener, WebSocketListener  # noqa: E402
from tests.servers import DaphneServer, RedisProcess  # noqa: E402


def token(who):
    return user_issue_tokens(user=who)["access"]


def heard_after(listener, started, wait, booked):
    """Seconds from `started` to the first booking.created of a booking made after it."""
    deadline = started + wait
    while time.monotonic() < deadline:
        try:
            listener.wait_for("booking.created", 0.2, where=lambda data: data["booking_id"] in booked)
            return time.monotonic() - started
        except AssertionError:
            pass
    return None


def one(fanout, outage, wait):
    clear()
    (organizer1, event1), (organizer2, event2) = published_event(100_000), published_event(100_000)
    customer = token(user(Role.CUSTOMER))
    redis = RedisProcess().start()
    env = {"REDIS_URL": redis.url, "REALTIME_REDIS_URL": redis.url, "REALTIME_FANOUT": fanout}
    a, b = DaphneServer(extra_env=env).start(), DaphneServer(extra_env=env).start()
    clients, booked, stop = [], set(), threading.Event()
    try:
        early = [SocketIOListener(b.url, token(organizer1)).connect(), WebSocketListener(b.ws_url, token(organizer1))]
        early[1].ready()
        clients += early
        redis.kill()
        time.sleep(1)
        late = WebSocketListener(b.ws_url, token(organizer2))
        late.ready()
        clients.append(late)
        time.sleep(max(outage - 1, 0))
        redis.start()
        started = time.monotonic()

        def book():
            with httpx.Client(base_url=a.url, timeout=30, headers={"Authorization": f"Bearer {customer}"}) as client:
                while not stop.is_set():
                    for event_id in (event1, event2):
                        response = client.post("/bookings", json={"eventId": event_id, "qty": 1})
                        if response.status_code == 201:
                            booked.add(response.json()["id"])
                    time.sleep(0.2)

        booker = threading.Thread(target=book, daemon=True)
        booker.start()
        results = [heard_after(listener, started, wait, booked) for listener in (*early, late)]
        stop.set()
        booker.join(30)
        return results
    finally:
        stop.set()
        for client in clients:
            client.close()
        a.stop()
        b.stop()
        redis.kill()


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fanout", nargs="+", choices=FANOUTS, default=FANOUTS)
    parser.add_argument("--outage", nargs="+", type=float, default=[3, 20], help="seconds Redis stays down")
    parser.add_argument("--wait", type=float, default=90, help="seconds to wait for a listener to hear process A again")
    args = parser.parse_args()
    header = f"{'fan-out':<9} {'outage s':>8} {'socket.io (before)':>19} {'websocket (before)':>19} {'websocket (during)':>19}"
    print(header)
    print("-" * len(header))
    for outage in args.outage:
        for fanout in args.fanout:
            cells = ["never" if s is None else f"{s:.1f} s" for s in one(fanout, outage, args.wait)]
            print(f"{fanout:<9} {outage:>8.0f} {cells[0]:>19} {cells[1]:>19} {cells[2]:>19}", flush=True)


if __name__ == "__main__":
    main()
