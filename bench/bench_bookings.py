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

Ticket types (--types 1,5): in the same run, one event with 1 ticket type and one
with 5 (the same seats in total, the same quota), booked by the same clients
through one daphne process, alternating rounds (--type-rounds) so drifting load
hits both alike: bookings/s, the daphne process's CPU ms per booking (from
/proc), and the ratio 1 type / N types; oversold seats are audited per type too.
--only-types skips the other rows.

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

from shared.mongo import collection  # noqa: E402
from shared.timeutil import now  # noqa: E402
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
    """POST one booking per target (an event id, or (event id, ticket type id)) from
    `clients` workers: [(status, seconds)], elapsed."""
    results = []
    queue = iter(enumerate(targets))

    async def worker(client):
        for n, target in queue:
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            event_id, type_id = target if isinstance(target, tuple) else (target, None)
            body = {"eventId": event_id, "qty": 1, **({"ticketTypeId": type_id} if type_id else {})}
            started = time.perf_counter()
            try:
                response = await client.post(f"{urls[n % len(urls)]}/bookings", json=body, headers=headers)
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
    """(oversold seats, events or types breaking the invariant) over every event and ticket type."""
    confirmed = {}
    for row in collection("bookings").aggregate(
        [{"$match": {"status": "CONFIRMED"}}, {"$group": {"_id": {"e": "$event_id", "t": "$ticket_type_id"}, "qty": {"$sum": "$qty"}}}]
    ):
        confirmed[row["_id"]["e"], row["_id"]["t"]] = row["qty"]
    oversold = broken = 0
    for event in collection("events").find({}, {"capacity": 1, "seats_available": 1, "tickets_sold": 1, "pending": 1, "types": 1}):
        holders = [(event, sum(qty for (e, _), qty in confirmed.items() if e == event["_id"]))]
        holders += [(t, confirmed.get((event["_id"], t["id"]), 0)) for t in event.get("types") or []]
        for holder, seats in holders:
            oversold += max(0, seats - holder["capacity"])
            broken += holder["capacity"] != holder["seats_available"] + seats or holder["tickets_sold"] != seats
        broken += bool(event["pending"])
    return oversold, broken


def cpu_seconds(pid):
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed_typed(type_counts, seats):
    """One published event per count in `type_counts`, `seats` seats split over that many types."""
    for name in COLLECTIONS:
        collection(name).delete_many({})
    organizer = SimpleNamespace(pk=ObjectId())
    made = {}
    for count in type_counts:
        types = [{"name": f"Type {n}", "price_cents": 1000 + 250 * n, "capacity": seats // count} for n in range(count)]
        data = {"title": "Bench", "city": "Lyon", "venue": "Hall", "starts_at": now() + timedelta(days=30), "types": types}
        doc = event_create(organizer=organizer, data=data)
        event_publish(event_id=doc["_id"], actor=organizer)
        made[count] = (doc["_id"], [t["id"] for t in doc["types"]])
    return made


def types_comparison(tokens, type_counts, requests, clients, rounds):
    """Rows {types, bookings/s, cpu ms/booking, ...} for events of `type_counts` types on one daphne."""
    made = seed_typed(type_counts, seats=requests * rounds * 2)
    totals = {count: {"created": 0, "elapsed": 0.0, "cpu": 0.0, "requests": 0} for count in type_counts}
    daphne = DaphneServer(redis=bool(settings.REDIS_URL)).start()
    try:
        warm = [(made[count][0], made[count][1][0]) for count in type_counts] * 25
        asyncio.run(load([daphne.url], tokens, warm, 8))
        for _ in range(rounds):
            for count in type_counts:
                event_id, type_ids = made[count]
                # One type: the brief's {eventId, qty}; several: each request names one, in turn.
                targets = [event_id if count == 1 else (event_id, type_ids[n % count]) for n in range(requests)]
                cpu_before = cpu_seconds(daphne.proc.pid)
                results, elapsed = asyncio.run(load([daphne.url], tokens, targets, clients))
                totals[count]["cpu"] += cpu_seconds(daphne.proc.pid) - cpu_before
                totals[count]["created"] += [status for status, _ in results].count(201)
                totals[count]["elapsed"] += elapsed
                totals[count]["requests"] += len(results)
    finally:
        daphne.stop()
    oversold, broken = audit()
    return [
        {"types": count, "bookings/s": t["created"] / t["elapsed"], "cpu_ms": 1000 * t["cpu"] / max(1, t["created"]),
         "created": t["created"], "requests": t["requests"], "oversold": oversold, "broken": broken}
        for count, t in totals.items()
    ]


def print_types(rows, clients):
    print(f"\nticket types: one daphne, {clients} concurrent clients, alternating rounds; audit over all events and types\n")
    header = f"{'types':>5} {'bookings/s':>10} {'daphne CPU ms/booking':>21} {'201':>6} {'requests':>8} {'oversold':>8} {'invariant broken':>16}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['types']:>5} {row['bookings/s']:>10.0f} {row['cpu_ms']:>21.2f} {row['created']:>6} {row['requests']:>8} "
              f"{row['oversold']:>8} {row['broken']:>16}")
    first = rows[0]
    for row in rows[1:]:
        print(f"bookings/s with {first['types']} type / with {row['types']} types: {first['bookings/s'] / row['bookings/s']:.3f}; "
              f"CPU per booking {row['types']} / {first['types']}: {row['cpu_ms'] / first['cpu_ms']:.3f}")


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
    parser.add_argument("--types", default="1,5", help="ticket types per event to compare, comma-separated")
    parser.add_argument("--type-requests", type=int, default=600, help="booking requests per event per round")
    parser.add_argument("--type-rounds", type=int, default=3)
    parser.add_argument("--only-types", action="store_true", help="only the ticket types comparison")
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
    type_counts = [int(n) for n in args.types.split(",")]
    type_rows = types_comparison(tokens, type_counts, args.type_requests, args.clients, args.type_rounds)
    if args.only_types:
        print_types(type_rows, args.clients)
        for name in COLLECTIONS:
            collection(name).delete_many({})
        return
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
    print_types(type_rows, args.clients)
    for name in COLLECTIONS:
        collection(name).delete_many({})
    if redis:
        redis.kill()


if __name__ == "__main__":
    main()
