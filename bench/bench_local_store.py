"""Writes per second on the local server's h2 backend: the library's background commit against a
commit before each acknowledgement (group commit), without and with fsync.

    .venv/bin/python bench/bench_local_store.py [--seconds 4] [--warmup 8] [--writers 1,16] [--modes background,ack,fsync]
    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_local_store.py \
        --bookings [--modes background,ack,fsync] [--other-jar NAME=JAR] [bench_compare.py's options ...]

Each mode gets a server of its own (devtools/mongo-server's jar, `--backend h2` on a fresh
temporary folder). Per writer count: W processes each insert one document at a time for
--seconds (inserts/s), then each `$inc`s one of its 100 documents at a time, chosen at random
(updates/s). CPU ms per write is the Java process's (user + system from /proc) over the
window, after --warmup seconds of both (the JIT's CPU counts as the process's). Mode
`background` is `--commit background` (a commit about once a second: what a SIGKILL
loses), `ack` the default (`--commit ack`), `fsync` is `--fsync`; `background-java` and
`ack-java` are the same with `--format java` (documents written with Java serialization, as
the library writes them, instead of BSON). `--other-jar NAME=JAR`
adds a mode NAME: another build of the server (e.g. from an earlier commit), default commit.

--bookings: the API instead. Each mode's server runs at once; bench/bench_compare.py then
runs this checkout twice, the first mode's server against each other mode's in turn
(default `--procs 1 --clients 16,64 --endpoints constant,bookings --prewarm 20`):
bookings/s, CPU ms per booking of daphne and of the database server ("db ms").
"""

import argparse
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAR = ROOT / "devtools" / "mongo-server" / "target" / "local-mongo.jar"
CLK_TCK = os.sysconf("SC_CLK_TCK")
MODES = {"background": ["--commit", "background"], "ack": [], "fsync": ["--fsync"],
         # the same, the store writing documents with Java serialization as the library does
         "background-java": ["--commit", "background", "--format", "java"], "ack-java": ["--format", "java"]}
JARS = {}  # mode -> another jar (--other-jar), run with the default commit


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def writer(uri, kind, w, seconds, start, counts):
    from pymongo import MongoClient

    coll = MongoClient(uri).bench_local_store[f"{kind}"]
    rng = random.Random(w)
    if kind == "updates":
        coll.insert_many([{"_id": f"{w}-{k}", "n": 0} for k in range(100)])
    start.wait()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        if kind == "inserts":
            coll.insert_one({"_id": f"{w}-{n}", "writer": w, "n": n, "payload": "x" * 200})
        else:
            coll.update_one({"_id": f"{w}-{rng.randrange(100)}"}, {"$inc": {"n": 1}})
        n += 1
    counts[w] = n


def run(uri, pid, kind, writers, seconds):
    from pymongo import MongoClient

    MongoClient(uri).bench_local_store[kind].drop()
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(writers + 1)
    counts = ctx.Array("l", writers)
    procs = [ctx.Process(target=writer, args=(uri, kind, w, seconds, start, counts)) for w in range(writers)]
    for p in procs:
        p.start()
    start.wait()
    cpu, began = cpu_seconds(pid), time.monotonic()
    for p in procs:
        p.join()
    elapsed, cpu = time.monotonic() - began, cpu_seconds(pid) - cpu
    total = sum(counts)
    return total / elapsed, 1000 * cpu / total


def start(mode, data):
    """The local server on h2 in `mode` over the folder `data`; returns (process, uri)."""
    server = subprocess.Popen(
        ["java", "-Xss512k", "-jar", str(JARS.get(mode, JAR)), "--port", "0", "--backend", "h2", "--data", str(data), *MODES[mode]],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return server, f"mongodb://{server.stdout.readline().split()[1]}/?directConnection=true"


def bookings(modes, compare_args):
    folders = [Path(tempfile.mkdtemp(prefix=f"bench-local-store-{mode}-")) for mode in modes]
    servers = [start(mode, data) for mode, data in zip(modes, folders)]
    # --prewarm: 20 s of each endpoint on each server first, so that the Java servers' JIT
    # compiles outside the rows (its CPU counts as the database's)
    defaults = {"--procs": "1", "--clients": "16,64", "--endpoints": "constant,bookings", "--prewarm": "20"}
    extra = [item for option, value in defaults.items() if option not in compare_args for item in (option, value)]
    try:
        for mode, (_, uri) in zip(modes[1:], servers[1:]):
            print(f"\n== {modes[0]} against {mode}", flush=True)
            subprocess.run([sys.executable, str(ROOT / "bench" / "bench_compare.py"), "--old-tree", str(ROOT),
                            "--new-tree", str(ROOT), "--labels", f"{modes[0]},{mode}", "--mongo-old", servers[0][1],
                            "--mongo-new", uri, *extra, *compare_args], check=True)
    finally:
        for server, _ in servers:
            server.stdin.close()
            server.wait(60)
        for data in folders:
            shutil.rmtree(data, ignore_errors=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--writers", default="1,16")
    parser.add_argument("--warmup", type=float, default=8, help="seconds of writes before the first row, per server")
    parser.add_argument("--modes", default="background,ack,fsync")
    parser.add_argument("--bookings", action="store_true")
    parser.add_argument("--other-jar", action="append", default=[], metavar="NAME=JAR",
                        help="one more mode NAME (list it in --modes): the jar at JAR, e.g. built from an earlier "
                             "commit, with its default commit")
    args, rest = parser.parse_known_args(argv)
    for item in args.other_jar:
        name, _, path = item.partition("=")
        MODES[name], JARS[name] = [], Path(path)
    if args.bookings:
        warmup = ["--warmup", f"{args.warmup:g}"] if "--warmup" in argv else []
        return bookings(args.modes.split(","), ["--seconds", f"{args.seconds:g}", *warmup, *rest])
    if rest:
        parser.error(f"unknown arguments: {rest}")
    writer_counts = [int(n) for n in args.writers.split(",")]
    rows = []
    for mode in args.modes.split(","):
        data = Path(tempfile.mkdtemp(prefix=f"bench-local-store-{mode}-"))
        server, uri = start(mode, data)
        try:
            for kind in ("inserts", "updates"):  # the JIT (its CPU counts as the server's), once per server
                run(uri, server.pid, kind, 4, args.warmup / 2)
            for writers in writer_counts:
                for kind in ("inserts", "updates"):
                    rate, cpu = run(uri, server.pid, kind, writers, args.seconds)
                    rows.append((mode, writers, kind, rate, cpu))
                    print(f"{mode:<10} {writers:>3} writers {kind:<7} {rate:8.0f}/s {cpu:6.3f} cpu ms", file=sys.stderr, flush=True)
            size = (data / "local-mongo.mv.db").stat().st_size
            print(f"{mode}: store file {size / 1e6:.1f} MB after the run", file=sys.stderr, flush=True)
        finally:
            server.stdin.close()
            server.wait(60)
            shutil.rmtree(data, ignore_errors=True)
    print(f"\n{args.seconds:g} s per row; CPU ms per write of the Java process")
    print(f"{'mode':<10} {'writers':>7} {'write':<7} {'per s':>8} {'cpu ms':>7} {'x background':>12}")
    base = {(w, k): r for m, w, k, r, _ in rows if m == "background"}
    for mode, writers, kind, rate, cpu in rows:
        ratio = f"{rate / base[writers, kind]:.2f}" if (writers, kind) in base else "-"
        print(f"{mode:<10} {writers:>7} {kind:<7} {rate:8.0f} {cpu:7.3f} {ratio:>12}")


if __name__ == "__main__":
    main(sys.argv[1:])
