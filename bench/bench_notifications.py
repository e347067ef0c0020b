"""Notification latency across two processes through Redis: from each booking's
HTTP response (process A) to the organizer's receipt (connected to process B).

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_notifications.py [--bookings 1000] [--clients 8]

Starts two daphne processes on a database of its own (MONGODB_NAME, default
`bench_notifications`) sharing one Redis, connects the organizer to B with
python-socketio (WebSocket transport) and with a raw WebSocket on
/ws/notifications/, then books through A from N concurrent HTTP clients.
Everything runs in one event loop here, so one clock times both ends. A negative
latency means the notification arrived before the HTTP response had been read:
the server sends it as the booking settles, just before the view answers.
Prints figures; never passes or fails.
"""

import argparse
import asyncio
import json
import logging
import os
import sys
import time

from setup_django import setup_django

setup_django("bench_notifications")

import httpx  # noqa: E402
import socketio  # noqa: E402
import websockets  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from common import FANOUTS, clear, cpu_seconds, percentiles, published_event, user  # noqa: E402
from tests.servers import DaphneServer  # noqa: E402


def seed(bookings, customers):
    """An organizer, customers and one published event with a seat for every booking."""
    clear()
    organizer, event_id = published_event(bookings)
    tokens = [user_issue_tokens(user=user(Role.CUSTOMER))["access"] for _ in range(customers)]
    return user_issue_tokens(user=organizer)["access"], tokens, event_id


async def run(a, b, organizer_token, customer_tokens, event_id, bookings, clients, grace):
    clock = time.perf_counter
    answered, sent, heard = {}, {}, {"socket.io": {}, "websocket": {}}

    sio = socketio.AsyncClient(reconnection=False)

    @sio.on("booking.created")
    async def on_booking(data):
        heard["socket.io"][data["booking_id"]] = clock()

    await sio.connect(b.url, auth={"token": organizer_token}, transports=["websocket"], wait_timeout=30)
    ws = await websockets.connect(f"{b.ws_url}/ws/notifications/?token={organizer_token}")
    assert json.loads(await ws.recv())["type"] == "ready"

    async def read_ws():
        async for text in ws:
            message = json.loads(text)
            if message["type"] == "booking.created":
                heard["websocket"][message["data"]["booking_id"]] = clock()

    reader = asyncio.create_task(read_ws())
    failures = 0
    queue = iter(range(bookings))

    async def worker(client):
        nonlocal failures
        for n in queue:
            token = customer_tokens[n % len(customer_tokens)]
            started = clock()
            response = await client.post(
                "/bookings", json={"eventId": event_id, "qty": 1}, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code != 201:
                failures += 1
                continue
            booking_id = response.json()["id"]
            answered[booking_id], sent[booking_id] = clock(), started

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=a.url, limits=limits, timeout=60) as client:
        started = clock()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = clock() - started
    deadline = clock() + grace
    while clock() < deadline and any(len(got) < len(answered) for got in heard.values()):
        await asyncio.sleep(0.05)
    reader.cancel()
    await ws.close()
    await sio.disconnect()
    return answered, sent, heard, failures, elapsed


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients booking through A")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--grace", type=float, default=30, help="seconds to wait for stragglers after the last booking")
    parser.add_argument("--fanout", nargs="+", choices=FANOUTS, default=["ours"],
                        help="REALTIME_FANOUT of the servers; several: each in turn, on the same seed size")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("needs Redis for two processes: run under devtools/services.py --redis or set REDIS_URL")
    for fanout in args.fanout:
        measure(args, fanout)


def measure(args, fanout):

    organizer_token, customer_tokens, event_id = seed(args.bookings, args.customers)
    servers = []
    try:
        servers = [DaphneServer(extra_env={"REALTIME_FANOUT": fanout}).start() for _ in range(2)]
        cpu = [cpu_seconds(server) for server in servers]
        answered, sent, heard, failures, elapsed = asyncio.run(
            run(*servers, organizer_token, customer_tokens, event_id, args.bookings, args.clients, args.grace)
        )
        cpu = [cpu_seconds(server) - before for server, before in zip(servers, cpu)]
    finally:
        for server in servers:
            server.stop()

    print(f"\n== REALTIME_FANOUT={fanout}")
    print(
        f"{len(answered)} bookings through process A in {elapsed:.1f}s ({len(answered) / elapsed:.0f}/s, "
        f"{args.clients} concurrent clients, {failures} failed); organizer on process B; Redis {settings.REDIS_URL}; "
        f"{os.cpu_count()} CPUs shared by both servers, Redis, the database and this client\n"
    )
    header = f"{'transport':<10} {'received':>9} {'measure':<26} {'min ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for transport, got in heard.items():
        received = [booking for booking in answered if booking in got]
        for label, start in (("HTTP response -> receipt", answered), ("request sent -> receipt", sent)):
            if not received:
                continue
            row = percentiles([got[booking] - start[booking] for booking in received])
            print(
                f"{transport:<10} {len(received):>5}/{len(answered):<3} {label:<26} "
                f"{row['min']:>8.1f} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f}"
            )
    latencies = [answered[booking] - sent[booking] for booking in answered]
    if latencies:
        row = percentiles(latencies)
        print(f"\nHTTP booking latency: p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms, max {row['max']:.1f} ms")
        print(f"server CPU per booking: A (books, publishes) {cpu[0] / len(answered) * 1000:.2f} ms, "
              f"B (delivers) {cpu[1] / len(answered) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
