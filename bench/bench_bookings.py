"""POST /bookings under concurrency: bookings/s, p50/p99, rejections, oversold (must be 0),
against the bare PyMongo conditional update on the same database.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_bookings.py \
        [--clients 64] [--requests 3000] [--servers 1,2] [--hot-share 0.5] [--redis-modes healthy,refused,stalled]

Each row seeds one hot event (fewer seats than the requests aimed at it, so
refusals happen) and many cold ones in a database of its own (MONGODB_NAME,
default `bench_bookings`), starts N daphne processes, and sends a bounded number
of POST /bookings (qty 1) from concurrent asyncio clients on 127.0.0.1, spread
over the processes. Then it checks every event: confirmed seats never above
capacity, capacity == seats_available + confirmed seats. Finally, in the same
run, threads hammer the one conditional update that the booking is built on
(find_one_and_update with seats_available >= 1), without HTTP, Django or the
rest of the protocol, so the API's overhead shows as a ratio. Prints figures;
never passes or fails.

With --redis-modes, each server count gets one row per mode, against a Redis of
the benchmark's own: healthy; refused (killed after the warm-up); stalled
(SIGSTOPped after the warm-up, SIGCONTed after the row). CPU ms per booking is
the daphne processes' user + system time over the row, divided by bookings made.
"""

import argparse
import asyncio
import logging
import os
import random
import statistics
import threading
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace

from setup_django import setup_django

setup_django("bench_bookings")

import httpx  # noqa: E402
from bson import ObjectId  # noqa: E402
from django.conf import settings  # noqa: E402
from pymongo import ReturnDocument  # noqa: E402

from eventbooking.mongo import collection  # noqa: E402
from eventbooking.timeutil import now  # noqa: E402
from events.services import event_create, event_publish  # noqa: E402
from tests.helpers import make_customers  # noqa: E402
from tests.servers import DaphneServer, RedisProcess  # noqa: E402

COLLECTIONS = ["events", "bookings", "counters", "idempotency_keys"]


def seed_events(hot_capacity, cold_events, cold_capacity):
    for name in COLLECTIONS:
        collection(name).delete_many({})
    organizer = SimpleNamespace(pk=ObjectId())

    def make(capacity):
        data = {"title": "Bench", "city": "Lyon", "venue": "Hall", "starts_at": now() + timedelta(days=30),
                "price_cents": 1250, "capacity": capacity}
        event_id = event_create(organizer=organizer, data=data)["_id"]
        event_publish(event_id=event_id, actor=organizer)
        return event_id

    return make(hot_capacity), [make(cold_capacity) for _ in range(cold_events)]


async def load(urls, tokens, targets, clients):
    """POST one booking per target from `clients` workers: [(status, seconds)], elapsed."""
    results = []
    queue = iter(enumerate(targets))

    async def worker(client):
        for n, event_id in queue:
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            started = time.perf_counter()
            try:
                response = await client.post(f"{urls[n % len(urls)]}/bookings", json={"eventId": event_id, "qty": 1}, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = "error"
            results.append((status, time.perf_counter() - started))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return results, time.perf_counter() - started


def audit():
    """(oversold seats, events breaking the invariant) over every event."""
    confirmed = {}
    for row in collection("bookings").aggregate(
        [{"$match": {"status": "CONFIRMED"}}, {"$group": {"_id": "$event_id", "qty": {"$sum": "$qty"}}}]
    ):
        confirmed[row["_id"]] = row["qty"]
    oversold = broken = 0
    for event in collection("events").find({}, {"capacity": 1, "seats_available": 1, "tickets_sold": 1, "pending": 1}):
        seats = confirmed.get(event["_id"], 0)
        oversold += max(0, seats - event["capacity"])
        broken += event["capacity"] != event["seats_available"] + seats or event["tickets_sold"] != seats or bool(event["pending"])
    return oversold, broken


def bare_updates(threads, operations):
    """The booking's conditional update alone, from `threads` threads: updates/s."""
    event_id = f"BARE-{uuid.uuid4().hex[:8]}"
    events = collection("events")
    events.insert_one({"_id": event_id, "status": "PUBLISHED", "starts_at": now() + timedelta(days=1),
                       "seats_available": operations, "tickets_sold": 0, "revenue_cents": 0, "price_cents": 1250})
    per_thread = operations // threads

    def run():
        coll = collection("events")
        for _ in range(per_thread):
            moment = now()
            coll.find_one_and_update(
                {"_id": event_id, "status": "PUBLISHED", "starts_at": {"$gt": moment}, "seats_available": {"$gte": 1}, "price_cents": 1250},
                {"$inc": {"seats_available": -1, "tickets_sold": 1, "revenue_cents": 1250}},
                projection={"_id": 1},
                return_document=ReturnDocument.AFTER,
            )

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    left = events.find_one({"_id": event_id})["seats_available"]
    events.delete_one({"_id": event_id})
    assert left == operations - per_thread * threads, "the bare update oversold"
    return per_thread * threads / elapsed


def cpu_seconds(daphnes):
    """User + system CPU time the daphne processes have used so far (from /proc)."""
    total = 0
    for daphne in daphnes:
        fields = open(f"/proc/{daphne.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def redis_fault(redis, mode, start):
    """Apply (start=True) or lift the Redis fault of a row: refused (killed), stalled (SIGSTOP)."""
    if mode == "refused":
        redis.kill() if start else redis.start()
    elif mode == "stalled":
        redis.pause() if start else redis.resume()


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=3000, help="booking requests per row")
    parser.add_argument("--servers", default="1,2", help="comma-separated daphne process counts, one row each")
    parser.add_argument("--hot-share", type=float, default=0.5, help="share of requests aimed at the hot event")
    parser.add_argument("--cold-events", type=int, default=100)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--bare-threads", default="1,8")
    parser.add_argument("--redis-modes", default="", help="e.g. healthy,refused,stalled: one row each per server count, "
                        "against a Redis of the benchmark's own, killed or SIGSTOPped after the warm-up")
    args = parser.parse_args()
    modes = [mode for mode in args.redis_modes.split(",") if mode] or [None]
    redis = RedisProcess().start() if modes != [None] else None

    cache = "Redis" if settings.REDIS_URL else "local memory"
    print(f"database {settings.DATABASES['default']['HOST']} / {settings.DATABASES['default']['NAME']}; cache: {cache}; "
          f"{os.cpu_count()} CPUs shared by servers, clients and the database")
    collection("users").delete_many({"email": {"$regex": "^buyer-"}})
    tokens = make_customers(args.customers)
    hot_requests = int(args.requests * args.hot_share)
    hot_capacity = max(1, hot_requests * 2 // 3)  # a third of the hot requests must be refused
    cold_capacity = args.requests  # never sold out

    rows = []
    for servers, mode in [(int(n), mode) for n in args.servers.split(",") for mode in modes]:
        hot, cold = seed_events(hot_capacity, args.cold_events, cold_capacity)
        rng = random.Random(11)
        targets = [hot] * hot_requests + [rng.choice(cold) for _ in range(args.requests - hot_requests)]
        rng.shuffle(targets)
        env = {"REDIS_URL": redis.url, "REALTIME_REDIS_URL": redis.url} if redis else None
        daphnes = [DaphneServer(redis=bool(settings.REDIS_URL), extra_env=env).start() for _ in range(servers)]
        try:
            urls = [daphne.url for daphne in daphnes]
            asyncio.run(load(urls, tokens, [cold[0]] * 50, 8))  # warm-up (and 50 seats off a cold event)
            redis_fault(redis, mode, start=True)
            cpu = cpu_seconds(daphnes)
            results, elapsed = asyncio.run(load(urls, tokens, targets, args.clients))
            cpu = cpu_seconds(daphnes) - cpu
        finally:
            redis_fault(redis, mode, start=False)
            for daphne in daphnes:
                daphne.stop()
        latencies = sorted(seconds for _, seconds in results)
        statuses = [status for status, _ in results]
        created = statuses.count(201)
        oversold, broken = audit()
        hot_sold = collection("bookings").count_documents({"event_id": hot, "status": "CONFIRMED"})
        rows.append({
            "servers": servers,
            "redis": mode or ("Redis" if settings.REDIS_URL else "none"),
            "cpu_ms": cpu * 1000 / max(created, 1),
            "bookings/s": created / elapsed,
            "requests/s": len(results) / elapsed,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "created": created,
            "rejected": statuses.count(409),
            "other": len(statuses) - created - statuses.count(409),
            "hot": f"{hot_sold}/{hot_capacity}",
            "oversold": oversold,
            "broken": broken,
        })

    bare = {int(n): bare_updates(int(n), 6000) for n in args.bare_threads.split(",")}
    best_bare = max(bare.values())

    print(f"\n{args.requests} POST /bookings per row from {args.clients} concurrent clients; "
          f"{int(args.hot_share * 100)}% at one hot event ({hot_capacity} seats), the rest over {args.cold_events} cold events\n")
    header = (f"{'servers':>7} {'redis':>8} {'bookings/s':>10} {'CPU ms/bk':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'201':>5} {'409':>5} "
              f"{'other':>5} {'hot sold':>9} {'oversold':>8} {'invariant broken':>16}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['servers']:>7} {row['redis']:>8} {row['bookings/s']:>10.0f} {row['cpu_ms']:>9.1f} {row['requests/s']:>7.0f} "
              f"{row['p50']:>7.1f} {row['p99']:>7.1f} "
              f"{row['created']:>5} {row['rejected']:>5} {row['other']:>5} {row['hot']:>9} {row['oversold']:>8} {row['broken']:>16}")
    print("\nbare PyMongo conditional update (find_one_and_update, seats_available >= 1), same database, no HTTP:")
    for threads, rate in bare.items():
        print(f"  {threads} thread{'s' if threads > 1 else ''}: {rate:.0f} updates/s")
    for row in rows:
        print(f"API / bare with {row['servers']} server{'s' if row['servers'] > 1 else ''}, Redis {row['redis']}: "
              f"{row['bookings/s'] / best_bare:.3f} (the API books 1 for every {best_bare / row['bookings/s']:.1f} bare updates)")
    for name in COLLECTIONS:
        collection(name).delete_many({})
    if redis:
        redis.kill()


if __name__ == "__main__":
    main()
