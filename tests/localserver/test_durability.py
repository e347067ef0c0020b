"""The local server's h2 backend (as `make run` runs it) keeps every acknowledged write through a
SIGKILL of its process: writers are killed mid-stream, the server restarts on the same files, and
everything it acknowledged is there, in every collection, as a consistent cut; a write sent with
{j: false} is acknowledged before its commit and made durable by the next journaled write."""

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pymongo import MongoClient, WriteConcern
from pymongo.errors import PyMongoError

JAR = Path(__file__).resolve().parents[2] / "devtools" / "mongo-server" / "target" / "local-mongo.jar"
TRIALS = 3
WRITERS = 4


class H2Server:
    """The local server on the h2 backend over one data folder, killed and restarted at will."""

    def __init__(self, data, *options):
        self.data, self.options = data, options
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["java", "-Xss512k", "-jar", str(JAR), "--port", "0", "--backend", "h2", "--data", str(self.data),
             *self.options],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("LISTENING "), line
        self.client = MongoClient(f"mongodb://{line.split()[1]}/?directConnection=true",
                                  serverSelectionTimeoutMS=2000, socketTimeoutMS=5000, retryWrites=False,
                                  maxPoolSize=WRITERS + 2)
        return self.client.durability

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.client.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.client.close()
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


@pytest.fixture
def server(tmp_path):
    s = H2Server(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def fsync_server(tmp_path):
    # Each commit forced to the disk, and the space of replaced chunks reused at once.
    s = H2Server(tmp_path, "--fsync")
    yield s
    s.stop()


def write_until_killed(server, write_one):
    """WRITERS threads call write_one(writer, n) for n = 0, 1, ... until the server is SIGKILLed at a
    random moment once all are under way; returns, per writer, the numbers whose write was acknowledged."""
    acknowledged = [[] for _ in range(WRITERS)]
    started = threading.Barrier(WRITERS + 1)

    def loop(w):
        started.wait()
        n = 0
        while True:
            try:
                write_one(w, n)
            except PyMongoError:
                return
            acknowledged[w].append(n)
            n += 1

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    started.wait()
    deadline = time.monotonic() + 20
    while min(map(len, acknowledged)) < 5 and time.monotonic() < deadline:  # every writer under way
        time.sleep(0.01)
    time.sleep(random.uniform(0.1, 0.5))
    server.kill()
    for t in threads:
        t.join(timeout=30)
    assert all(acknowledged), "every writer had a write acknowledged before the kill"
    return acknowledged


def test_every_acknowledged_insert_survives_a_kill_of_the_server(server):
    inserts_survive_kills(server, TRIALS)


def test_with_fsync_too(fsync_server):
    inserts_survive_kills(fsync_server, 2)


def inserts_survive_kills(server, trials):
    db = server.start()
    for trial in range(trials):
        coll = db[f"inserts_{trial}"]
        acknowledged = write_until_killed(server, lambda w, n: coll.insert_one({"_id": f"{w}-{n}", "w": w, "n": n}))
        db = server.start()
        stored = {doc["_id"] for doc in db[f"inserts_{trial}"].find({}, {"_id": 1})}
        lost = [f"{w}-{n}" for w, ns in enumerate(acknowledged) for n in ns if f"{w}-{n}" not in stored]
        assert lost == [], f"trial {trial}: {len(lost)} of {sum(map(len, acknowledged))} acknowledged inserts lost"
        # each writer's survivors are a prefix of what it sent: nothing after a gap
        for w in range(WRITERS):
            ns = sorted(int(i.split("-")[1]) for i in stored if i.startswith(f"{w}-"))
            assert ns == list(range(len(ns)))


def test_a_write_in_one_collection_survives_only_with_the_earlier_writes_it_depends_on(server):
    # The booking's pattern: insert the booking, then update the event it counts in.
    db = server.start()
    for trial in range(TRIALS):
        bookings, events = db[f"bookings_{trial}"], db[f"events_{trial}"]
        events.insert_many([{"_id": w, "sold": 0, "last": -1} for w in range(WRITERS)])

        def book(w, n, bookings=bookings, events=events):
            bookings.insert_one({"_id": f"{w}-{n}", "event": w, "n": n})
            events.update_one({"_id": w, "last": n - 1}, {"$inc": {"sold": 1}, "$set": {"last": n}})

        acknowledged = write_until_killed(server, book)
        db = server.start()
        bookings, events = db[f"bookings_{trial}"], db[f"events_{trial}"]
        for w in range(WRITERS):
            event = events.find_one({"_id": w})
            made = sorted(doc["n"] for doc in bookings.find({"event": w}))
            last_acknowledged = acknowledged[w][-1]
            # every acknowledged booking and event update is there ...
            assert made[: last_acknowledged + 1] == list(range(last_acknowledged + 1)), f"trial {trial}, event {w}"
            assert event["last"] >= last_acknowledged, f"trial {trial}, event {w}"
            # ... and the event counts no booking that is not: at most the one in flight is missing its update
            assert event["sold"] == event["last"] + 1
            assert made == list(range(len(made))) and len(made) - 1 in (event["last"], event["last"] + 1)


def test_a_journaled_write_makes_every_write_applied_before_it_durable(server):
    # Writes with {j: false} are acknowledged once applied, without waiting for a commit; a commit
    # covers every write applied before it, so the acknowledgement of a {j: true} write means every
    # write acknowledged before it was sent, by any client, survives a kill right after it.
    db = server.start()
    for trial in range(TRIALS):
        coll = db[f"steps_{trial}"]
        steps = coll.with_options(write_concern=WriteConcern(w=1, j=False))
        done = threading.Event()
        acknowledged = [[] for _ in range(WRITERS)]

        def others(w, steps=steps):
            n = 0
            while not done.is_set():
                try:
                    steps.insert_one({"_id": f"{w}-{n}"})
                except PyMongoError:
                    return
                acknowledged[w].append(n)
                n += 1

        threads = [threading.Thread(target=others, args=(w,)) for w in range(1, WRITERS)]
        for t in threads:
            t.start()
        for n in range(50):
            steps.insert_one({"_id": f"0-{n}"})
            acknowledged[0].append(n)
        before = [list(ns) for ns in acknowledged]  # acknowledged before the journaled write is sent
        coll.with_options(write_concern=WriteConcern(w=1, j=True)).insert_one({"_id": "0-journaled"})
        server.kill()
        done.set()
        for t in threads:
            t.join(timeout=30)
        db = server.start()
        stored = {doc["_id"] for doc in db[f"steps_{trial}"].find({}, {"_id": 1})}
        assert "0-journaled" in stored
        lost = [f"{w}-{n}" for w, ns in enumerate(before) for n in ns if f"{w}-{n}" not in stored]
        assert lost == [], f"trial {trial}: {len(lost)} writes acknowledged before the journaled one lost"
        assert min(map(len, before[1:])) > 0, "the other clients were writing meanwhile"


def test_unjournaled_writes_are_committed_shortly_after_without_a_journaled_one(server):
    db = server.start()
    steps = db.lazy.with_options(write_concern=WriteConcern(w=1, j=False))
    steps.insert_many([{"_id": n} for n in range(200)])
    steps.update_one({"_id": 0}, {"$set": {"last": True}})
    time.sleep(0.5)  # the server commits what is uncommitted every 100 ms
    server.kill()
    db = server.start()
    assert db.lazy.count_documents({}) == 200
    assert db.lazy.find_one({"_id": 0}) == {"_id": 0, "last": True}


def test_an_unjournaled_write_is_acknowledged_before_its_commit(server):
    # As MongoDB's {j: false}: acknowledged once applied, so a kill right after the
    # acknowledgement may lose it (a journaled write would be there, as tested above).
    db = server.start()
    lost = []
    for trial in range(3):
        steps = db[f"early_{trial}"].with_options(write_concern=WriteConcern(w=1, j=False))
        for n in range(50):
            steps.insert_one({"_id": n})
        server.kill()
        db = server.start()
        lost.append(50 - db[f"early_{trial}"].count_documents({}))
    # the server commits them within 100 ms: a trial may miss the window, not all three
    assert max(lost) > 0, lost
