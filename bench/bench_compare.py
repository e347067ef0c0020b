"""Two source trees in one run: the code before issue 11 (old) against this checkout (new).

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_compare.py \
        [--old 8468274 | --old-tree PATH] [--new-tree PATH] [--procs 1,2] [--clients 1,16,64] \
        [--seconds 5] [--warmup 1] [--rounds 1] [--serve-new CMD] [--serve-old CMD] \
        [--mongo-old URI] [--mongo-new URI]

For each tree, each server-process count (--procs; default 1 and one per core) and
each client count, it measures three endpoints on the same stack:
- GET /bench/constant: a DRF APIView returning a constant small JSON (bench/stack/,
  added to the tree's own URLconf, so the old tree has it too): the framework's ceiling;
- GET /events (public; 20 published events, one page of 20);
- POST /bookings (qty 1, spread over the 20 events and over --customers customers, whose
  tokens the tree's own code mints), then checks that no event is oversold
  (capacity == seats_available + confirmed seats, for every event and ticket type).
Per row: requests/s, p50/p99, CPU ms per request of the server processes (user+sys
from /proc over the measured window, divided by requests completed with 2xx), and
separately of the database server, of Redis and of the load generator; each
endpoint's req/s as a ratio to the constant endpoint's; then new/old for every figure.

Old tree: `git worktree add --detach` of --old (default 8468274, main before
issue 11) in a temporary folder, removed at the end, or --old-tree PATH. Both trees run
with this checkout's .venv. Each tree gets a database of its own on the one MongoDB
server (MONGODB_URI from devtools/services.py), `migrate`d as `make run` does, and a
Redis database and key/channel prefix of its own on the one Redis (REDIS_URL).
--mongo-old / --mongo-new give a tree a database server of its own instead (the same tree
twice against two servers compares the servers; its CPU is the "db" column).
Servers run as in production (DEBUG=0), without the reconciler.

Server processes: by default N daphne processes (`daphne -e tcp:port=P:...:backlog=1024
eventbooking.asgi:application`, as `make run` starts one) on N ports, the load generator
spreading requests over them round-robin; this works for any tree. --serve-new /
--serve-old start a tree's own multi-process server instead: a shell command run in the
tree with {port} and {procs} replaced (e.g. --serve-new 'exec .venv/bin/python -m
some.runner --port {port} --processes {procs}'); it must serve on 127.0.0.1:{port}, and
the CPU counted is that of every process it starts.

The load generator is bench/loadgen/main.go (Go's standard library; built into a
temporary folder at the start, about 2 minutes of CPU the first time, cached after):
keep-alive HTTP/1.1, a fixed number of workers for --seconds after a --warmup run
(and --prewarm seconds of every endpoint after the servers start),
GOMAXPROCS=1 so that it never takes more than one of the 2 cores.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "bench" / "stack"
PYTHON = ROOT / ".venv" / "bin"
CLK_TCK = os.sysconf("SC_CLK_TCK")
ENDPOINTS = ["constant", "events", "bookings"]
EVENTS = 20


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# CPU accounting from /proc.
def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def descendants(pid):
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def listening_pid(port):
    """The process listening on 127.0.0.1:`port` (for the database and Redis), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if os.readlink(fd).removeprefix("socket:[").rstrip("]") in inodes:
                return int(fd.parent.parent.name)
        except OSError:
            continue
    return None


# HTTP from the harness (seeding, health); the load itself is the Go client's.
def http(method, url, body=None, token=None, timeout=30):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


def wait_healthy(url, proc, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server for {url} exited ({proc.returncode})")
        try:
            if http("GET", f"{url}/health", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not become healthy")


class Tree:
    def __init__(self, label, path, index, serve_cmd, mongo_uri):
        self.label, self.path, self.serve_cmd, self.mongo_uri = label, Path(path), serve_cmd, mongo_uri
        self.database = f"bench_compare_{label}"
        redis = urlsplit(os.environ["REDIS_URL"])
        self.redis_url = urlunsplit(redis._replace(path=f"/{index}"))
        self.env = dict(
            os.environ,
            PYTHONPATH=f"{self.path}:{STACK}",
            DJANGO_SETTINGS_MODULE="bench_settings",
            MONGODB_URI=mongo_uri,
            MONGODB_NAME=self.database,
            REDIS_URL=self.redis_url,
            REALTIME_REDIS_URL=self.redis_url,
            CACHE_PREFIX=f"bench-{label}",
            DEBUG="0",
            SECRET_KEY=f"bench-compare-secret-{label}-not-for-production-0123456789",
            JWT_SIGNING_KEY=f"bench-compare-jwt-{label}-not-for-production-0123456789",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            ACCESS_TOKEN_MINUTES="600",
            PATH=f"{PYTHON}:{os.environ['PATH']}",
        )
        self.procs, self.urls, self.tokens, self.event_ids = [], [], None, []

    def run(self, *command, capture=False):
        result = subprocess.run(command, cwd=self.path, env=self.env, check=True, text=True,
                                stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
        return result.stdout

    def prepare(self, customers):
        import pymongo
        import redis

        pymongo.MongoClient(self.mongo_uri).drop_database(self.database)
        redis.Redis.from_url(self.redis_url).flushdb()
        self.run(str(PYTHON / "python"), "manage.py", "migrate", "--noinput")
        self.tokens = json.loads(self.run(str(PYTHON / "python"), str(STACK / "bench_seed.py"), str(customers), capture=True))

    def start(self, procs):
        if self.serve_cmd:
            port = free_port()
            command = self.serve_cmd.format(port=port, procs=procs)
            self.procs = [subprocess.Popen(["sh", "-c", command], cwd=self.path, env=self.env, start_new_session=True)]
            self.urls = [f"http://127.0.0.1:{port}"]
        else:
            ports = [free_port() for _ in range(procs)]
            self.procs = [
                subprocess.Popen([str(PYTHON / "daphne"), "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
                                  "eventbooking.asgi:application"], cwd=self.path, env=self.env, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for port in ports
            ]
            self.urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(self.urls, self.procs):
            wait_healthy(url, proc)
        deadline = time.monotonic() + 90
        while self.serve_cmd and self.daphnes() < procs and time.monotonic() < deadline:
            time.sleep(0.5)  # one process may answer on the shared port before the others listen
        if self.serve_cmd:
            time.sleep(3)

    def daphnes(self):
        count = 0
        for pid in self.server_pids():
            try:
                count += b"daphne" in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                pass
        return count

    def server_pids(self):
        return [pid for proc in self.procs for pid in descendants(proc.pid)]

    def stop(self):
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs = []

    def seed_events(self):
        """20 published events with room for every booking of the run (once per tree)."""
        if self.event_ids:
            return
        starts = (datetime.now(UTC) + timedelta(days=60)).isoformat().replace("+00:00", "Z")
        for n in range(EVENTS):
            body = {"title": f"Bench event {n}", "description": "A benchmark event", "city": "Lyon", "venue": "Hall",
                    "tags": ["bench"], "starts_at": starts, "price": "12.50", "capacity": 1_000_000}
            status, event = http("POST", f"{self.urls[0]}/events", body, self.tokens["organizer"])
            assert status == 201, (status, event)
            status, body = http("POST", f"{self.urls[0]}/events/{event['id']}/publish", None, self.tokens["organizer"])
            assert status == 200, (status, body)
            self.event_ids.append(event["id"])

    def job(self, endpoint):
        if endpoint == "constant":
            return {"method": "GET", "urls": [f"{url}/bench/constant" for url in self.urls]}
        if endpoint == "events":
            return {"method": "GET", "urls": [f"{url}/events?page_size={EVENTS}" for url in self.urls]}
        bodies = [json.dumps({"eventId": event_id, "qty": 1}) for event_id in self.event_ids]
        return {"method": "POST", "urls": [f"{url}/bookings" for url in self.urls], "bodies": bodies,
                "tokens": self.tokens["customers"]}

    def audit(self):
        """Seats oversold, and events or ticket types whose seats do not add up."""
        import pymongo

        db = pymongo.MongoClient(self.mongo_uri)[self.database]
        confirmed = {}
        for row in db.bookings.aggregate([{"$match": {"status": "CONFIRMED"}},
                                          {"$group": {"_id": {"e": "$event_id", "t": "$ticket_type_id"}, "qty": {"$sum": "$qty"}}}]):
            confirmed[row["_id"]["e"], row["_id"].get("t")] = row["qty"]
        oversold = broken = 0
        for event in db.events.find({"_id": {"$in": self.event_ids}}):
            holders = [(event, sum(qty for (e, _), qty in confirmed.items() if e == event["_id"]))]
            holders += [(t, confirmed.get((event["_id"], t["id"]), 0)) for t in event.get("types") or []]
            for holder, seats in holders:
                oversold += max(0, seats - holder["capacity"])
                broken += holder["capacity"] != holder["seats_available"] + seats
        return oversold, broken, sum(confirmed.values())


class LoadGenerator:
    def __init__(self, workdir):
        self.binary = Path(workdir) / "loadgen"
        log("building bench/loadgen (Go) ...")
        subprocess.run(["go", "build", "-o", str(self.binary), str(ROOT / "bench" / "loadgen" / "main.go")],
                       check=True, env=dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GO111MODULE="off"))

    def run(self, job, concurrency, seconds, on_start=None):
        proc = subprocess.Popen([str(self.binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, GOMAXPROCS="1"))
        proc.stdin.write(json.dumps({**job, "concurrency": concurrency, "seconds": seconds}) + "\n")
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "ready"
        started = on_start() if on_start else None
        proc.stdin.write("go\n")
        proc.stdin.flush()
        result = json.loads(proc.stdout.readline())
        proc.wait()
        return result, started


def measure(tree, loadgen, job, clients, seconds, services):
    """One measured window: what was done, and the CPU seconds it cost each party."""
    pids = tree.server_pids()
    services = {**services, "db": tree.db_pid}

    def snapshot():
        return cpu_seconds(pids), {name: cpu_seconds([pid]) for name, pid in services.items() if pid}

    result, (server_before, services_before) = loadgen.run(job, clients, seconds, on_start=snapshot)
    server_after, services_after = snapshot()
    window = {
        "ok": sum(count for status, count in result["statuses"].items() if status.startswith("2")),
        "errors": sum(count for status, count in result["statuses"].items() if not status.startswith("2")),
        "elapsed": result["elapsed"],
        "p50": result["p50_ms"],
        "p99": result["p99_ms"],
        "server": server_after - server_before,
        "client": result["cpu_seconds"],
    }
    for name in services:
        window[name] = services_after.get(name, 0) - services_before.get(name, 0) if services[name] else float("nan")
    return window


def combine(windows, services):
    """A row from its windows: req/s over their total time, CPU ms per 2xx response."""
    ok = sum(w["ok"] for w in windows)
    per = 1000 / ok if ok else float("nan")
    row = {
        "rps": ok / sum(w["elapsed"] for w in windows),
        "p50": sorted(w["p50"] for w in windows)[len(windows) // 2],
        "p99": max(w["p99"] for w in windows),
        "cpu": sum(w["server"] for w in windows) * per,
        "client": sum(w["client"] for w in windows) * per,
        "errors": sum(w["errors"] for w in windows),
    }
    for name in services:
        row[name] = sum(w[name] for w in windows) * per
    return row


def fmt(value, digits=1):
    return "-" if value != value else f"{value:.{digits}f}"


def report(results, trees, args):
    """results[(label, procs, endpoint, clients)] = [row per round]: the median of each figure."""

    def figure(key, name):
        rows = results.get(key, [])
        values = sorted(row[name] for row in rows if row[name] == row[name])
        return values[len(values) // 2] if values else float("nan")

    labels = [tree.label for tree in trees]
    lines = ["", f"{args.seconds:g} s per row in {args.slices} windows taking turns, after {args.warmup:g} s of warm-up, {args.rounds} round(s), median shown; "
             f"CPU ms per 2xx response; ceiling = req/s / constant endpoint's req/s at the same clients and processes"]
    header = (f"{'tree':<4} {'procs':>5} {'endpoint':<15} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'cpu ms':>7} {'db ms':>6} {'redis':>6} {'client':>6} {'ceiling':>7} {'errors':>6}")
    lines += [header, "-" * len(header)]
    names = {"constant": "GET constant", "events": "GET /events", "bookings": "POST /bookings"}
    for procs in args.procs:
        for endpoint in args.endpoints:
            for clients in args.clients:
                for label in labels:
                    key = (label, procs, endpoint, clients)
                    if key not in results:
                        continue
                    ceiling = figure(key, "rps") / figure((label, procs, "constant", clients), "rps")
                    lines.append(
                        f"{label:<4} {procs:>5} {names[endpoint]:<15} {clients:>7} {fmt(figure(key, 'rps'), 0):>8} "
                        f"{fmt(figure(key, 'p50'), 2):>8} {fmt(figure(key, 'p99'), 2):>8} {fmt(figure(key, 'cpu'), 2):>7} "
                        f"{fmt(figure(key, 'db'), 2):>6} {fmt(figure(key, 'redis'), 2):>6} {fmt(figure(key, 'client'), 2):>6} "
                        f"{fmt(ceiling, 2):>7} {int(sum(row['errors'] for row in results[key])):>6}"
                    )
    if len(labels) == 2:
        old, new = labels
        lines += ["", f"{new} / {old}: req/s x, CPU ms per request x (below 1 is less CPU), p50 x",
                  f"{'procs':>5} {'endpoint':<15} {'clients':>7} {'req/s':>7} {'cpu':>7} {'p50':>7} {'db':>7} {'ceiling':>8}"]
        for procs in args.procs:
            for endpoint in args.endpoints:
                for clients in args.clients:
                    a, b = (old, procs, endpoint, clients), (new, procs, endpoint, clients)
                    if a not in results or b not in results:
                        continue

                    def ratio(name, a=a, b=b):
                        return figure(b, name) / figure(a, name) if figure(a, name) else float("nan")

                    ceilings = [figure(k, "rps") / figure((k[0], procs, "constant", clients), "rps") for k in (a, b)]
                    lines.append(f"{procs:>5} {names[endpoint]:<15} {clients:>7} {fmt(ratio('rps'), 2):>7} {fmt(ratio('cpu'), 2):>7} "
                                 f"{fmt(ratio('p50'), 2):>7} {fmt(ratio('db'), 2):>7} {fmt(ceilings[1] / ceilings[0], 2):>8}")
        one = min(args.procs)
        for procs in args.procs:
            if procs != one and (old, one, "bookings", max(args.clients)) in results:
                base = figure((old, one, "bookings", max(args.clients)), "rps")
                lines.append(f"bookings/s at {max(args.clients)} clients on {procs} processes ({new}) / {one} process ({old}): "
                             f"x{fmt(figure((new, procs, 'bookings', max(args.clients)), 'rps') / base, 2)}")
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", default="8468274", help="commit of the old tree (a temporary git worktree)")
    parser.add_argument("--old-tree", help="an existing checkout to use as the old tree instead")
    parser.add_argument("--new-tree", default=str(ROOT))
    parser.add_argument("--labels", default="old,new")
    parser.add_argument("--procs", default=f"1,{os.cpu_count()}", help="server process counts")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS))
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--slices", type=int, default=2,
                        help="each row's --seconds split into this many windows, old and new taking turns (A B B A)")
    parser.add_argument("--prewarm", type=float, default=2, help="seconds of each endpoint on each tree after the servers start")
    parser.add_argument("--rounds", type=int, default=1, help="times each row is measured (the median is shown)")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--serve-old", help="shell command serving the old tree on {port} with {procs} processes")
    parser.add_argument("--serve-new", help="the same for the new tree")
    parser.add_argument("--mongo-old", help="the old tree's own database server (default: MONGODB_URI)")
    parser.add_argument("--mongo-new", help="the new tree's own database server (default: MONGODB_URI)")
    args = parser.parse_args(argv)
    args.procs = sorted({int(n) for n in args.procs.split(",")})
    args.clients = [int(n) for n in args.clients.split(",")]
    args.endpoints = [e for e in args.endpoints.split(",") if e]
    assert set(args.endpoints) <= set(ENDPOINTS) and "constant" in args.endpoints, "endpoints: constant plus any of events,bookings"
    return args


def main(argv):
    args = parse_args(argv)
    for name in ("MONGODB_URI", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} is unset: run under `devtools/services.py --redis --`")
    workdir = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    worktree = None
    trees = []
    try:
        loadgen = LoadGenerator(workdir)
        old_path = args.old_tree
        if not old_path:
            worktree = workdir / "old-tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(worktree), args.old], check=True,
                           stdout=subprocess.DEVNULL)
            old_path = worktree
        for tree_path in (old_path, args.new_tree):  # DEBUG=0: WhiteNoise wants collected static files
            if not (Path(tree_path) / "staticfiles").exists() and (ROOT / "staticfiles").exists():
                log(f"linking {ROOT / 'staticfiles'} into {tree_path}")
                os.symlink(ROOT / "staticfiles", Path(tree_path) / "staticfiles")
        old_label, new_label = args.labels.split(",")
        trees = [Tree(old_label, old_path, 1, args.serve_old, args.mongo_old or os.environ["MONGODB_URI"]),
                 Tree(new_label, args.new_tree, 2, args.serve_new, args.mongo_new or os.environ["MONGODB_URI"])]
        for tree in trees:
            tree.db_pid = listening_pid(urlsplit(tree.mongo_uri.split(",")[0]).port or 27017)
        services = {"db": None, "redis": listening_pid(urlsplit(os.environ["REDIS_URL"]).port or 6379)}
        log(f"old tree {old_path}, new tree {args.new_tree}; database server pids {[t.db_pid for t in trees]}, "
            f"redis pid {services['redis']}")
        for tree in trees:
            log(f"{tree.label}: migrate and seed {args.customers} customers")
            tree.prepare(args.customers)
        results = {}
        started = time.monotonic()
        row_index = 0
        for _ in range(args.rounds):
            for procs in args.procs:
                # Both trees serve at once (the idle one costs nothing) and their rows alternate,
                # first one then the other, so that the machine's drifting load hits both alike.
                try:
                    for tree in trees:
                        tree.start(procs)
                        tree.seed_events()
                    for tree in trees:  # the database server's JIT and every cache, once per start
                        for endpoint in args.endpoints:
                            loadgen.run(tree.job(endpoint), max(args.clients), args.prewarm)
                    for clients in args.clients:
                        for endpoint in args.endpoints:
                            row_index += 1
                            order = trees if row_index % 2 else trees[::-1]
                            for tree in order:
                                loadgen.run(tree.job(endpoint), clients, args.warmup)
                            windows = {tree.label: [] for tree in trees}
                            for k in range(args.slices):  # A B B A ...
                                for tree in order if k % 2 == 0 else order[::-1]:
                                    window = measure(tree, loadgen, tree.job(endpoint), clients, args.seconds / args.slices, services)
                                    windows[tree.label].append(window)
                            for tree in trees:
                                row = combine(windows[tree.label], services)
                                results.setdefault((tree.label, procs, endpoint, clients), []).append(row)
                                log(f"[{time.monotonic() - started:5.0f}s] {tree.label} procs={procs} {endpoint:<8} clients={clients:<3} "
                                    f"{row['rps']:7.0f} req/s {row['cpu']:6.2f} cpu ms/req, errors {row['errors']}")
                finally:
                    for tree in trees:
                        tree.stop()
        print(report(results, trees, args))
        for tree in trees:
            if "bookings" in args.endpoints:
                oversold, broken, sold = tree.audit()
                print(f"{tree.label}: {sold} seats booked, oversold {oversold}, events or types not adding up {broken}")
    finally:
        for tree in trees:
            tree.stop()
        if worktree:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
