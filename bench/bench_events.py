"""GET /events/:id and GET /events: throughput and p50/p99 latency, event cache on vs off.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_events.py [--events 500] [--requests 2000] [--clients 1,16]

Seeds published events into a database of its own (MONGODB_NAME, default
`bench_events`), then for each cache setting starts one daphne process
(EVENT_CACHE_ENABLED=1, then 0) and sends a bounded number of requests from N
concurrent asyncio clients on 127.0.0.1. Prints figures; never passes or fails.
"""

import argparse
import asyncio
import logging
import os
import random
import statistics
import time
from datetime import timedelta
from types import SimpleNamespace

from setup_django import setup_django

setup_django("bench_events")

import httpx  # noqa: E402
from bson import ObjectId  # noqa: E402
from django.conf import settings  # noqa: E402

from shared.mongo import collection  # noqa: E402
from shared.timeutil import now  # noqa: E402
from events.services import event_create, event_publish  # noqa: E402
from tests.servers import DaphneServer  # noqa: E402

CITIES = ["Lyon", "Paris", "Berlin", "Madrid", "Rome"]
TAGS = ["jazz", "rock", "opera", "food", "talk", "kids"]


def seed(count):
    """`count` published events of one organizer, starting over each run."""
    for name in ("events", "counters"):
        collection(name).delete_many({})
    organizer = SimpleNamespace(pk=ObjectId())
    rng = random.Random(42)
    ids = []
    for n in range(count):
        data = {
            "title": f"Event {n} {rng.choice(TAGS)} night",
            "description": "x" * 200,
            "city": rng.choice(CITIES),
            "venue": "Hall",
            "tags": rng.sample(TAGS, 2),
            "starts_at": now() + timedelta(days=1 + n % 300),
            "price_cents": rng.randrange(0, 10_000),
            "capacity": 100,
        }
        event_id = event_create(organizer=organizer, data=data)["_id"]
        event_publish(event_id=event_id, actor=organizer)
        ids.append(event_id)
    return ids


async def load(url, paths, clients, requests):
    """Send `requests` GETs (paths in turn) from `clients` concurrent workers:
    (latencies in seconds, elapsed seconds, non-200 count)."""
    latencies, errors = [], 0
    queue = iter(range(requests))

    async def worker(client):
        nonlocal errors
        for n in queue:
            started = time.perf_counter()
            response = await client.get(paths[n % len(paths)])
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        return latencies, time.perf_counter() - started, errors


def summary(runs):
    latencies = sorted(latency for run in runs for latency in run[0])
    return {
        "requests": len(latencies),
        "rps": len(latencies) / sum(run[1] for run in runs),
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(run[2] for run in runs),
    }


def micro(event_id, repeat=2000):
    """In this process, without HTTP: what one cache hit costs against one database read."""
    from events.cache import event_cache_get

    def per_call(call):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        return (time.perf_counter() - started) / repeat * 1e6

    find = per_call(lambda: collection("events").find_one({"_id": event_id}))
    load = lambda: collection("events").find_one({"_id": event_id})  # noqa: E731
    version = per_call(lambda: collection("events").find_one({"_id": event_id}, {"version": 1}))
    hit = per_call(lambda: event_cache_get(event_id, load))
    print(f"in-process, no HTTP: find_one by _id {find:.0f} us; the same projected to version {version:.0f} us; "
          f"cache hit (Redis GET + unpickle + the version read) {hit:.0f} us")


def scenarios(ids, count):
    rng = random.Random(7)
    pages = max(1, len(ids) // 20)
    return {
        "GET /events/:id": [f"/events/{rng.choice(ids)}" for _ in range(count)],
        "GET /events": [f"/events?page={rng.randint(1, pages)}" for _ in range(count)],
        "GET /events?city&tags&sort": [
            f"/events?city={rng.choice(CITIES).lower()}&tags={rng.choice(TAGS)}&sort=-price" for _ in range(count)
        ],
    }


def main():
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--requests", type=int, default=1000, help="per round, row and cache setting")
    parser.add_argument("--rounds", type=int, default=3, help="on and off alternate, so drifting load hits both alike")
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrent client counts")
    args = parser.parse_args()
    clients = [int(value) for value in args.clients.split(",")]

    cache = "Redis" if settings.REDIS_URL else "local memory (set REDIS_URL or use --redis)"
    print(f"database {settings.DATABASES['default']['HOST']} / {settings.DATABASES['default']['NAME']}; cache: {cache}")
    started = time.perf_counter()
    ids = seed(args.events)
    print(f"seeded {len(ids)} published events in {time.perf_counter() - started:.1f}s")
    micro(ids[0])
    paths = scenarios(ids, args.requests)

    servers = {}
    try:
        for label, enabled in (("on", "1"), ("off", "0")):
            servers[label] = DaphneServer(redis=bool(settings.REDIS_URL), extra_env={"EVENT_CACHE_ENABLED": enabled}).start()
            # Warm up: every event once (fills the cache when it is on), then some lists.
            asyncio.run(load(servers[label].url, [f"/events/{event_id}" for event_id in ids], 8, len(ids)))
            asyncio.run(load(servers[label].url, paths["GET /events"], 8, 100))
        runs = {}
        for name, scenario_paths in paths.items():
            for count in clients:
                for _ in range(args.rounds):
                    for label, server in servers.items():
                        run = asyncio.run(load(server.url, scenario_paths, count, args.requests))
                        runs.setdefault((name, count, label), []).append(run)
    finally:
        for server in servers.values():
            server.stop()
    rows = {key: summary(value) for key, value in runs.items()}

    print(
        f"\n{args.rounds} rounds x {args.requests} requests per row; one daphne process per setting, "
        f"{os.cpu_count()} CPUs shared with the clients\n"
    )
    header = f"{'endpoint':<28} {'clients':>7} {'cache':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for (name, count, label), row in rows.items():
        print(f"{name:<28} {count:>7} {label:>5} {row['rps']:>8.0f} {row['p50']:>8.2f} {row['p99']:>8.2f} {row['errors']:>6}")
    print("\ncache on / off")
    for name in paths:
        for count in clients:
            on, off = rows[name, count, "on"], rows[name, count, "off"]
            print(
                f"{name:<28} {count:>7} clients: throughput x{on['rps'] / off['rps']:.2f}, "
                f"p50 x{on['p50'] / off['p50']:.2f}, p99 x{on['p99'] / off['p99']:.2f}"
            )


if __name__ == "__main__":
    main()
