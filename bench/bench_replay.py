"""Replay on reconnect: how long a client that missed N notices takes to receive them
all, from the moment it starts connecting with its last id to the last notice.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_replay.py [--missed 1000] [--rounds 5]

Records N booking notices for one organizer in the log (notifications.log, as the
bookings would), starts one daphne process on a database of its own
(`bench_replay`), then, per round, connects with python-socketio (WebSocket
transport) and with a raw WebSocket on /ws/notifications/, each with `last_id`
just before the first of them, and times the connection and the whole replay.
Prints figures; never passes or fails.
"""

import argparse
import asyncio
import json
import logging
import os
import time

from setup_django import setup_django

setup_django("bench_replay")

import socketio  # noqa: E402
from django.core.management import call_command  # noqa: E402
import websockets  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from common import clear, percentiles, user  # noqa: E402
from shared.mongo import collection  # noqa: E402
from notifications.log import notice_record  # noqa: E402
from tests.servers import DaphneServer  # noqa: E402


def seed(missed):
    call_command("migrate", verbosity=0)  # the log's indexes
    clear()
    collection("notices").delete_many({})
    organizer = user(Role.ORGANIZER)
    first = None
    for n in range(1, missed + 1):
        data = {"booking_id": f"BK-{n:04d}", "event_id": "EVT-0001", "event_title": "Bench night", "qty": 1,
                "amount": "15.00", "seats_available": missed - n, "created_at": "2026-12-01T10:00:00Z"}
        doc = notice_record(recipient=organizer.pk, kind="booking.created", data=data, key=f"booking.created:BK-{n:04d}")
        first = first or doc["seq"]
    return user_issue_tokens(user=organizer)["access"], first - 1


async def socketio_round(url, token, last_id, missed):
    got = []
    done = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("booking.created")
    async def on_notice(data):
        got.append(data["notice_id"])
        if len(got) == missed:
            done.set()

    started = time.perf_counter()
    await client.connect(url, auth={"token": token, "last_id": last_id}, transports=["websocket"])
    connected = time.perf_counter()
    await asyncio.wait_for(done.wait(), 60)
    finished = time.perf_counter()
    await client.disconnect()
    assert got == list(range(last_id + 1, last_id + 1 + missed)), "not every notice, once, in order"
    return connected - started, finished - started


async def websocket_round(ws_url, token, last_id, missed):
    got = []
    started = time.perf_counter()
    async with websockets.connect(f"{ws_url}/ws/notifications/?token={token}&last_id={last_id}", max_size=None) as ws:
        connected = None
        while len(got) < missed:
            message = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if message["type"] == "ready":
                connected = time.perf_counter()
            elif message["type"] == "booking.created":
                got.append(message["id"])
        finished = time.perf_counter()
    assert got == list(range(last_id + 1, last_id + 1 + missed)), "not every notice, once, in order"
    return connected - started, finished - started


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--missed", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    token, last_id = seed(args.missed)
    server = DaphneServer().start()
    try:
        results = {"python-socketio": [], "raw WebSocket": []}
        for _ in range(args.rounds):
            results["python-socketio"].append(asyncio.run(socketio_round(server.url, token, last_id, args.missed)))
            results["raw WebSocket"].append(asyncio.run(websocket_round(server.ws_url, token, last_id, args.missed)))
    finally:
        server.stop()
    print(f"{args.missed} missed notices replayed to a reconnecting client, {args.rounds} rounds each; "
          f"{os.cpu_count()} CPUs shared by the server, the database and this client\n")
    header = f"{'client':<16} {'measure':<28} {'min ms':>8} {'p50 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for client, rounds in results.items():
        for index, measure in enumerate(("connect -> connected", "connect -> last notice")):
            row = percentiles([r[index] for r in rounds])
            print(f"{client:<16} {measure:<28} {row['min']:>8.1f} {row['p50']:>8.1f} {row['max']:>8.1f}")


if __name__ == "__main__":
    main()
