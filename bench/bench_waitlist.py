"""Waiting-list offer latency across two processes: from a cancellation sent to process A
to the `waitlist.offer` received by the next customer in line, connected to process B.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_waitlist.py [--cancellations 500]

Seeds, in a database of its own (MONGODB_NAME, default `bench_waitlist`), one published
event whose N seats are booked one each by N customers, and a waiting line of N other
customers for one seat each. Starts two daphne processes sharing one Redis. Then, one
cancellation at a time: the next customer in line connects to B (python-socketio on the
WebSocket transport, and a raw WebSocket on /ws/notifications/), a holder cancels through
A, and the clock runs until both of that customer's clients have the offer (checked to be
their own entry's). Connecting is not timed. One event loop here times both ends.
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

setup_django("bench_waitlist")

import httpx  # noqa: E402
import socketio  # noqa: E402
import websockets  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from bookings.services import booking_create  # noqa: E402
from common import FANOUTS, clear, cpu_seconds, percentiles, published_event, user  # noqa: E402
from tests.servers import DaphneServer  # noqa: E402
from waitlist.services import waitlist_join  # noqa: E402


def seed(count):
    """[(holder token, booking id)], [(waiting customer token, entry id)] in line order."""
    clear()
    _, event_id = published_event(count)
    holders, line = [], []
    for _ in range(count):
        holder = user(Role.CUSTOMER)
        booking, _, _ = booking_create(customer=holder, event_id=event_id, qty=1)
        holders.append((user_issue_tokens(user=holder)["access"], booking["_id"]))
    for _ in range(count):
        waiting = user(Role.CUSTOMER)
        entry, _ = waitlist_join(customer=waiting, event_id=event_id, qty=1)
        line.append((user_issue_tokens(user=waiting)["access"], entry["id"]))
    return event_id, holders, line


async def one_turn(client, b, holder, waiting, timeout):
    """(sent -> socket.io receipt, sent -> websocket receipt, HTTP response time), in seconds."""
    clock = time.perf_counter
    (holder_token, booking_id), (token, entry_id) = holder, waiting
    got = {}
    done = asyncio.Event()

    def heard(transport, data):
        if data["entry_id"] == entry_id:
            got[transport] = clock()
            if len(got) == 2:
                done.set()

    sio = socketio.AsyncClient(reconnection=False)
    sio.on("waitlist.offer", lambda data: heard("socket.io", data))
    await sio.connect(b.url, auth={"token": token}, transports=["websocket"], wait_timeout=30)
    ws = await websockets.connect(f"{b.ws_url}/ws/notifications/?token={token}")
    assert json.loads(await ws.recv())["type"] == "ready"

    async def read_ws():
        async for text in ws:
            message = json.loads(text)
            if message["type"] == "waitlist.offer":
                heard("websocket", message["data"])

    reader = asyncio.create_task(read_ws())
    sent = clock()
    response = await client.post(f"/bookings/{booking_id}/cancel", headers={"Authorization": f"Bearer {holder_token}"})
    answered = clock()
    assert response.status_code == 200, response.text
    try:
        await asyncio.wait_for(done.wait(), timeout)
    except TimeoutError:
        pass
    reader.cancel()
    await ws.close()
    await sio.disconnect()
    return {transport: moment - sent for transport, moment in got.items()}, answered - sent


async def run(a, b, holders, line, timeout):
    heard = {"socket.io": [], "websocket": []}
    responses, missed = [], 0
    async with httpx.AsyncClient(base_url=a.url, timeout=60) as client:
        for holder, waiting in zip(holders, line):
            got, response = await one_turn(client, b, holder, waiting, timeout)
            responses.append(response)
            missed += len(got) < 2
            for transport, latency in got.items():
                heard[transport].append(latency)
    return heard, responses, missed


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cancellations", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=10, help="seconds to wait for one offer before counting it missed")
    parser.add_argument("--fanout", nargs="+", choices=FANOUTS, default=["ours"],
                        help="REALTIME_FANOUT of the servers; several: each in turn, on the same seed size")
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("needs Redis for two processes: run under devtools/services.py --redis or set REDIS_URL")
    for fanout in args.fanout:
        measure(args, fanout)


def measure(args, fanout):

    started = time.perf_counter()
    event_id, holders, line = seed(args.cancellations)
    print(f"seeded {event_id}: {len(holders)} seats booked, {len(line)} customers in line ({time.perf_counter() - started:.1f}s)")
    servers = []
    try:
        servers = [DaphneServer(extra_env={"REALTIME_FANOUT": fanout}).start() for _ in range(2)]
        cpu = [cpu_seconds(server) for server in servers]
        started = time.perf_counter()
        heard, responses, missed = asyncio.run(run(*servers, holders, line, args.timeout))
        elapsed = time.perf_counter() - started
        cpu = [cpu_seconds(server) - before for server, before in zip(servers, cpu)]
    finally:
        for server in servers:
            server.stop()

    print(f"\n== REALTIME_FANOUT={fanout}")
    print(
        f"{len(responses)} cancellations through process A, one at a time, in {elapsed:.1f}s; the next in line "
        f"listening on process B; {missed} offers missed; Redis {settings.REDIS_URL}; "
        f"{os.cpu_count()} CPUs shared by both servers, Redis, the database and this client\n"
    )
    header = f"{'transport':<10} {'received':>9} {'measure':<28} {'min ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for transport, latencies in heard.items():
        if latencies:
            row = percentiles(latencies)
            print(
                f"{transport:<10} {len(latencies):>5}/{len(responses):<3} {'cancel sent -> offer received':<28} "
                f"{row['min']:>8.1f} {row['p50']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f}"
            )
    row = percentiles(responses)
    print(f"\nHTTP cancellation latency (offer made before the answer): p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms")
    print(f"server CPU per cancellation (both clients connecting, the cancellation, the offer): "
          f"A {cpu[0] / len(responses) * 1000:.1f} ms, B {cpu[1] / len(responses) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
