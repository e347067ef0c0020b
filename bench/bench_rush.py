"""A rush: one event of --seats seats in --types ticket types, sold out by --customers
concurrent customers over HTTP, against the stack `make run` starts, for two source trees in
one run: the code before the hot-event layout, 298b00e (old: holds and the waiting line inside
the event document), against this checkout (new).

    .venv/bin/python bench/bench_rush.py [--old 298b00e | --old-tree PATH] [--seats 10000]
        [--types 4] [--customers 128] [--rounds 2] [--store h2|memory]

Each side, each round (old, new, old, new, ...: machine load hits both): a fresh data folder
and the stack as `make run` starts it (devtools/services.py: the local server on its durable
H2 store (--store h2, the default) or in memory, a redis-server, the reconciler beside
(`manage.py reconcile_bookings --every`), `manage.py migrate`, then devtools/web.py: one
daphne per core on one port, DEBUG=1 as `make run` has it). The customers and an organizer
are made by bench/stack/bench_seed.py in the tree (tokens minted by the tree's own code); the
event is created and published through the API.

Each customer (aiohttp, one keep-alive connection each) picks a type that still has seats,
then either books 1-4 seats directly (60%) or holds 1-4 seats (40%, --hold-share) and then books the hold
(`POST /bookings {holdId}`, 4 in 5) or gives it back (`DELETE /holds/:id`, 1 in 5), until every
type answers 409 with no seat left. Printed per side and round: seats sold per second (from the
first request to the last seat), requests/s, p50/p99 per kind of request (201/204 answers and
409 refusals apart), unexpected answers, and the audit, read from the database after the
servers stopped: per event and per type capacity == available + held + sold, held == 0, sold ==
the seats of CONFIRMED bookings, and no booking beyond capacity (oversold). Never passes or fails.

Old tree: `git worktree add --detach` of --old in a temporary folder (removed at the end) with
this checkout's .venv and local server jar (devtools/ is the same in both), or --old-tree PATH.

Measured (2 cores, H2 store, 10,000 seats in 4 types, while other suites loaded the machine
to a load average of 20-58; bench/README.md has the tables):
    .venv/bin/python bench/bench_rush.py --rounds 2 --customers 128
        old 78 / 119 seats/s, new 51 / 69; CPU ms per seat web + db: old 2.98 + 3.70 and
        2.86 + 3.35, new 3.96 + 5.22 and 3.91 + 4.99
    .venv/bin/python bench/bench_rush.py --rounds 2 --customers 64 --hold-share 0
        old 228 / 99 seats/s, new 130 / 160; CPU ms per seat web + db: old 2.08 + 2.99 and
        2.41 + 3.78, new 1.96 + 2.97 and 2.00 + 3.15
Every run: 10,000 sold, 0 oversold, capacity == available + held + sold per event and type,
sold == the seats of CONFIRMED bookings, no marker left, no unexpected answer.
"""

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_compare import CLK_TCK, descendants, free_port  # the same /proc reading and ports

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
STACK = ROOT / "bench" / "stack"
JAR = Path("devtools/mongo-server/target/local-mongo.jar")


def log(*parts):
    print(f"[{datetime.now(UTC):%H:%M:%S}]", *parts, flush=True)


# What each process of the stack is, by its command line.
ROLES = [("reconcile_bookings", "reconciler"), ("daphne", "web"), ("java", "db"), ("redis-server", "redis")]


def cpu_by_role(root_pid):
    """{role: CPU seconds (user + sys)} of the stack's processes."""
    totals = {}
    for pid in descendants(root_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        role = next((name for marker, name in ROLES if marker in cmdline), None)
        if role:
            totals[role] = totals.get(role, 0) + (int(fields[11]) + int(fields[12])) / CLK_TCK
    return totals


class Side:
    """One tree's stack, started as `make run` starts it, on a fresh data folder."""

    def __init__(self, label, tree, customers, store):
        self.label, self.tree, self.customers, self.store = label, Path(tree), customers, store
        self.proc = None

    def start(self):
        self.data = Path(tempfile.mkdtemp(prefix=f"bench-rush-{self.label}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tokens, uri = self.data / "tokens.json", self.data / "mongo.uri"
        seed = (f"PYTHONPATH={self.tree}:{STACK} DJANGO_SETTINGS_MODULE=bench_settings {PYTHON} {STACK / 'bench_seed.py'} "
                f"{self.customers} > {tokens}")
        chain = (f"{PYTHON} manage.py migrate --noinput -v0 && {seed} && echo \"$MONGODB_URI\" > {uri} && "
                 f"exec {PYTHON} devtools/web.py --host 127.0.0.1 --port {self.port}")
        env = dict(os.environ, DEBUG="1", MONGODB_NAME=f"bench_rush_{self.label}", ACCESS_TOKEN_MINUTES="600",
                   DATA_DIR=str(self.data), PYTHONUNBUFFERED="1")
        for name in ("MONGODB_URI", "REDIS_URL", "REALTIME_REDIS_URL", "WEB_CONCURRENCY"):
            env.pop(name, None)
        self.output = open(self.data / "stack.log", "w")
        self.proc = subprocess.Popen(
            [str(PYTHON), "devtools/services.py", "--mongo", self.store, "--data", str(self.data), "--redis",
             "--beside", f"{PYTHON} manage.py reconcile_bookings --every", "--", "sh", "-c", chain],
            cwd=self.tree, env=env, stdin=subprocess.PIPE, stdout=self.output, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 300
        while not (uri.exists() and uri.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{self.label}: the stack did not start:\n{(self.data / 'stack.log').read_text()[-3000:]}")
            time.sleep(0.5)
        self.mongo_uri = uri.read_text().strip()
        self.tokens = json.loads(tokens.read_text())
        while True:  # every daphne process up: a few answers in a row
            try:
                import urllib.request

                if all(urllib.request.urlopen(f"{self.url}/health", timeout=5).status == 200 for _ in range(6)):
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{self.label}: no answer on {self.url}:\n{(self.data / 'stack.log').read_text()[-3000:]}")
            time.sleep(0.5)
        time.sleep(2)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.output.close()

    def audit(self, event_id, uri=None):
        """{oversold, broken, held, sold, confirmed, markers}: read after the servers stopped
        (the local server is started again on the same files for it)."""
        import pymongo

        db = pymongo.MongoClient(uri or self.mongo_uri)[f"bench_rush_{self.label}"]
        event = db.events.find_one({"_id": event_id})
        by_type = {}
        for row in db.bookings.aggregate([{"$match": {"event_id": event_id, "status": "CONFIRMED"}},
                                          {"$group": {"_id": "$ticket_type_id", "qty": {"$sum": "$qty"}}}]):
            by_type[row["_id"]] = row["qty"]
        oversold = broken = 0
        for holder, seats in [(event, sum(by_type.values()))] + [(t, by_type.get(t["id"], 0)) for t in event["types"]]:
            oversold += max(0, seats - holder["capacity"])
            broken += holder["capacity"] != holder["seats_available"] + holder.get("seats_held", 0) + seats
            broken += holder["tickets_sold"] != seats
        return {"oversold": oversold, "broken": broken, "available": event["seats_available"],
                "held": event.get("seats_held", 0), "sold": event["tickets_sold"], "confirmed": sum(by_type.values()),
                "markers": len(event.get("pending") or [])}


def create_event(url, organizer, seats, types):
    import urllib.request

    def call(method, path, body=None):
        request = urllib.request.Request(f"{url}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Authorization": f"Bearer {organizer}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    share = [seats // types + (1 if n < seats % types else 0) for n in range(types)]
    starts = (datetime.now(UTC) + timedelta(days=60)).isoformat().replace("+00:00", "Z")
    body = {"title": "The rush", "description": "Everyone at once", "city": "Lyon", "venue": "Arena", "starts_at": starts,
            "capacity": seats, "types": [{"name": f"Tier {n + 1}", "price": f"{20 + 10 * n}.00", "capacity": c} for n, c in enumerate(share)]}
    event = call("POST", "/events", body)
    call("POST", f"/events/{event['id']}/publish")
    return event["id"], [t["id"] for t in event["types"]]


async def rush(url, event_id, type_ids, tokens, seed, hold_share=0.4):
    import aiohttp

    rng = random.Random(seed)
    times = {}  # kind -> [seconds]
    unexpected = {}
    open_types = set(type_ids)
    sold = [0]

    def note(kind, seconds):
        times.setdefault(kind, []).append(seconds)

    async def call(session, method, path, body, headers):
        start = time.perf_counter()
        async with session.request(method, f"{url}{path}", json=body, headers=headers) as response:
            data = await response.json() if response.status != 204 else None
            return response.status, data, time.perf_counter() - start

    async def customer(token):
        headers = {"Authorization": f"Bearer {token}"}
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
            while True:
                if not open_types:
                    # Seats of a hold given back may have come back on sale after a type was seen sold out.
                    status, event, _ = await call(session, "GET", f"/events/{event_id}", None, headers)
                    open_types.update(t["id"] for t in event["types"] if t["seats_available"] > 0)
                    if not open_types:
                        return
                if not open_types:
                    continue
                type_id = rng.choice(sorted(open_types))
                qty = rng.randint(1, 4)
                order = {"eventId": event_id, "qty": qty, "ticketTypeId": type_id}
                if rng.random() >= hold_share:
                    status, data, took = await call(session, "POST", "/bookings", order, headers)
                    kind = "book"
                else:
                    status, data, took = await call(session, "POST", "/holds", order, headers)
                    kind = "hold"
                    if status == 201:
                        note("hold", took)
                        hold_id = data["id"]
                        if rng.random() < 0.8:
                            status, data, took = await call(session, "POST", "/bookings", {"holdId": hold_id}, headers)
                            kind = "claim"
                        else:
                            status, data, took = await call(session, "DELETE", f"/holds/{hold_id}", None, headers)
                            note("release", took)
                            if status != 204:
                                unexpected[f"release {status}"] = unexpected.get(f"release {status}", 0) + 1
                            continue
                if status == 201:
                    note(kind, took)
                    sold[0] += data["qty"]
                elif status == 409 and data["error"]["code"] == "not_enough_seats":
                    note(f"{kind} refused", took)
                    if data["error"].get("seats_available") == 0:
                        open_types.discard(type_id)
                else:
                    note(f"{kind} other", took)
                    code = (data or {}).get("error", {}).get("code")
                    unexpected[f"{kind} {status} {code}"] = unexpected.get(f"{kind} {status} {code}", 0) + 1

    start = time.perf_counter()
    await asyncio.gather(*(customer(token) for token in tokens))
    elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "times": times, "unexpected": unexpected, "sold": sold[0]}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1000


def report(label, result, audit):
    requests = sum(len(v) for v in result["times"].values())
    print(f"\n{label}: {result['sold']:,} seats in {result['elapsed']:.1f} s = {result['sold'] / result['elapsed']:.0f} seats/s; "
          f"{requests:,} requests = {requests / result['elapsed']:.0f} req/s")
    for kind in sorted(result["times"]):
        values = result["times"][kind]
        print(f"  {kind:<16} {len(values):>7,}  p50 {statistics.median(values) * 1000:7.1f} ms  p99 {pct(values, 0.99):7.1f} ms")
    cpu = result["cpu"]
    print("  CPU ms per seat sold: " + ", ".join(f"{role} {cpu.get(role, 0) * 1000 / max(result['sold'], 1):.2f}"
                                                  for _, role in ROLES))
    print(f"  unexpected answers: {result['unexpected'] or 'none'}")
    print(f"  audit: {audit}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default="298b00e")
    parser.add_argument("--old-tree")
    parser.add_argument("--seats", type=int, default=10_000)
    parser.add_argument("--types", type=int, default=4)
    parser.add_argument("--customers", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store", choices=["h2", "memory"], default="h2")
    parser.add_argument("--hold-share", type=float, default=0.4, help="the share of customers' turns that hold first (0: direct bookings only)")
    parser.add_argument("--only", choices=["old", "new"])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the stacks and remove the old tree on the way out

    made = None
    old_tree = args.old_tree
    if not old_tree and args.only != "new":
        made = Path(tempfile.mkdtemp(prefix="rush-old-"))
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(made), args.old], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (made / ".venv").symlink_to(ROOT / ".venv")
        (made / JAR).parent.mkdir(parents=True, exist_ok=True)
        (made / JAR).symlink_to(ROOT / JAR)
        old_tree = made
    sides = [("old", old_tree), ("new", ROOT)]
    if args.only:
        sides = [side for side in sides if side[0] == args.only]
    try:
        for n in range(args.rounds):
            for label, tree in sides:
                side = Side(label, tree, args.customers, args.store)
                log(f"round {n + 1}: {label} ({tree}), {args.customers} customers, {args.seats:,} seats in {args.types} types")
                side.start()
                try:
                    event_id, type_ids = create_event(side.url, side.tokens["organizer"], args.seats, args.types)
                    before = cpu_by_role(side.proc.pid)
                    result = asyncio.run(rush(side.url, event_id, type_ids, side.tokens["customers"], seed=n, hold_share=args.hold_share))
                    after = cpu_by_role(side.proc.pid)
                    result["cpu"] = {role: after[role] - before.get(role, 0) for role in after}
                    time.sleep(3)  # anything in flight settles; the reconciler passes once more
                    audit = side.audit(event_id)
                finally:
                    side.stop()
                report(f"round {n + 1} {label}", result, audit)
                shutil.rmtree(side.data, ignore_errors=True)
    finally:
        if made:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(made)], check=False)


if __name__ == "__main__":
    main()
