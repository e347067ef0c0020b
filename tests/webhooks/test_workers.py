"""Two delivery worker processes (`manage.py deliver_webhooks --every`, as `make run`
starts one) against a real local receiver answering 200 slowly, 500, 410, never, and
by closing the connection. One worker is SIGKILLed in the middle of a delivery: the
others send everything, each delivery once, except the one it was sending (at least
once after a crash)."""

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from shared.mongo import collection
from tests.helpers import book
from tests.servers import ROOT, process_env
from tests.webhooks.receiver import Receiver

from devtools.services import die_with_parent

SLOW = 0.6
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "1",
    "WEBHOOK_RETRY_FIRST_SECONDS": "0.3",
    "WEBHOOK_RETRY_MAX_SECONDS": "1",
    "WEBHOOK_CONCURRENCY": "2",
}


class Worker:
    def __init__(self):
        self.log = tempfile.NamedTemporaryFile(prefix="webhooks-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "deliver_webhooks", "--every", "0.2"],
            cwd=ROOT, env=process_env(extra_env=WORKER_ENV), stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-3000:]


@pytest.fixture
def workers():
    started = []

    def start():
        started.append(Worker())
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def wait_until(condition, timeout=60, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_two_workers_one_killed_mid_delivery_lose_nothing_and_repeat_only_what_was_in_flight(
    private_targets, workers, create_event, organizer_client, customer_client
):
    receiver = Receiver(slow_seconds=SLOW)
    try:
        hooks = {}
        for path in ("/slow", "/fail", "/gone", "/hang", "/close"):
            answer = organizer_client.post("/webhooks", {"url": f"{receiver.url}{path}", "events": ["booking.created"]}, format="json")
            hooks[path] = answer.json()["id"]
        event_id = create_event(publish=True, capacity=50, price="5.00")["id"]
        for _ in range(12):
            assert book(customer_client, event_id, 1).status_code == 201

        doomed = workers()
        wait_until(lambda: len(receiver.to("/slow")) >= 2, what="the first worker's deliveries")
        # Right after a slow delivery arrived: the worker is waiting for its answer.
        seen = len(receiver.to("/slow"))
        wait_until(lambda: len(receiver.to("/slow")) > seen, what="a delivery in flight")
        doomed.proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        assert doomed.proc.wait(10) == -9
        in_flight = {json.loads(body)["id"] for _, _, body, at in receiver.to("/slow") if killed_at - at < SLOW}
        assert in_flight

        survivors = [workers(), workers()]
        slow = collection("webhook_deliveries")

        def all_sent():
            return slow.count_documents({"webhook_id": hooks["/slow"], "status": "succeeded"}) == 12

        wait_until(all_sent, timeout=90, what=f"every delivery to /slow; {[w.output() for w in survivors]}")

        # Nothing lost: each of the 12 reached the receiver; repeated: only what was in flight at the kill.
        ids = [json.loads(body)["id"] for _, _, body, _ in receiver.to("/slow")]
        expected = {d["_id"] for d in slow.find({"webhook_id": hooks["/slow"]})}
        assert set(ids) == expected and len(expected) == 12
        repeated = {i for i in ids if ids.count(i) > 1}
        # The killed worker never recorded them: its lease ran out and another sent them again.
        assert repeated == in_flight and all(ids.count(i) <= 2 for i in ids)
        for delivery in slow.find({"_id": {"$in": list(repeated)}}):
            assert delivery["attempts"] == 2

        wait_until(lambda: slow.count_documents({"webhook_id": hooks["/fail"], "attempts": {"$gte": 2}}) == 12, what="retries of /fail")
        statuses = {path: {(d["status"], d["response_code"], d["error"].split(":")[0]) for d in slow.find({"webhook_id": hook})}
                    for path, hook in hooks.items()}
        assert statuses["/fail"] == {("pending", 500, "HTTP 500")}
        assert ("failed", 410, "endpoint gone (410)") in statuses["/gone"]
        assert statuses["/gone"] <= {("failed", 410, "endpoint gone (410)"), ("failed", None, "endpoint disabled")}
        assert collection("webhooks").find_one({"_id": hooks["/gone"]})["active"] is False
        # Once gone, no more tries: at most the ones already under way when the first 410 came.
        assert len(receiver.to("/gone")) <= 6
        assert {s for s in statuses["/hang"] if s[0] == "pending" and s[2]} <= {("pending", None, "timeout")}
        assert any(s == ("pending", None, "timeout") for s in statuses["/hang"])
        assert any(s[0] == "pending" and s[2] == "RemoteProtocolError" for s in statuses["/close"])
        for worker in survivors:
            assert worker.proc.poll() is None, worker.output()
    finally:
        receiver.stop()
