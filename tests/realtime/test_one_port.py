"""`make run`'s server (devtools/web.py): with Redis, one daphne process per core
behind one port, and a booking made through any of them reaches the listeners of
every other; without Redis, one process."""

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.helpers import token_for
from tests.realtime.clients import WAIT
from tests.servers import ROOT, WebProcesses, process_env

pytestmark = pytest.mark.slow


def served_by(web, requests):
    """Send each (method, path, token, body) on a connection of its own; the answers and the pids that served them."""
    rids, answers = [], []
    for method, path, token, body in requests:
        rid = uuid.uuid4().hex
        headers = {"X-Request-ID": rid, **({"Authorization": f"Bearer {token}"} if token else {})}
        answers.append(httpx.request(method, f"{web.url}{path}", json=body, headers=headers, timeout=WAIT))
        rids.append(rid)
    return answers, [line["pid"] for line in web.hop_lines(rids)]


def children(pid):
    return {int(p) for p in os.listdir("/proc") if p.isdigit() and _parent(p) == pid}


def _parent(pid):
    try:
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return None
    return int(status.split("\nPPid:\t", 1)[1].split("\n", 1)[0])


@pytest.fixture
def web_processes():
    started = []

    def start(**kwargs):
        web = WebProcesses(**kwargs).start()
        started.append(web)
        return web

    yield start
    for web in started:
        web.stop()


def test_two_processes_share_the_port_and_a_booking_through_either_reaches_listeners_on_both(
    web_processes, organizer, customer, create_event, listeners
):
    web = web_processes(workers=2)
    daphnes = children(web.proc.pid)
    assert len(daphnes) == 2, web.output()
    _, pids = served_by(web, [("GET", "/health", None, None)] * 40)
    assert set(pids) == daphnes, pids

    socketio, websocket = listeners.socketio(web, organizer), listeners.websocket(web, organizer)
    websocket.ready()
    event = create_event(publish=True, price="10.00", capacity=50)
    answers, pids = served_by(web, [("POST", "/bookings", token_for(customer), {"eventId": event["id"], "qty": 1})] * 12)
    assert [answer.status_code for answer in answers] == [201] * 12
    # Each listener is connected to one process; bookings went through both.
    assert set(pids) == daphnes, pids
    for client in (socketio, websocket):
        for answer in answers:
            client.wait_for("booking.created", where=lambda data: data["booking_id"] == answer.json()["id"])  # noqa: B023
        assert client.events().count("booking.created") == 12


def test_with_redis_one_process_per_cpu_by_default(web_processes):
    cpus = len(os.sched_getaffinity(0))
    web = web_processes()
    expected = cpus if cpus > 1 else 0  # one process: web.py becomes daphne itself
    assert len(children(web.proc.pid)) == expected, web.output()


def test_without_redis_one_process(web_processes):
    web = web_processes(redis=False)
    assert children(web.proc.pid) == set()
    _, pids = served_by(web, [("GET", "/health", None, None)] * 10)
    assert set(pids) == {web.proc.pid}


def test_several_processes_without_redis_are_refused():
    env = process_env(redis=False, extra_env={"WEB_CONCURRENCY": "2"})
    run = subprocess.run(
        [sys.executable, "devtools/web.py", "--port", "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert "WEB_CONCURRENCY=2 needs REDIS_URL" in run.stderr
