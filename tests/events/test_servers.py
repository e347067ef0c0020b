"""Against real daphne processes (Redis cache): racing transitions, ids across
processes, and cache freshness when the write and the read go to different processes."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from shared.mongo import collection
from tests.helpers import event_body, event_doc, sell, token_for

pytestmark = pytest.mark.slow
TIMEOUT = 60


def auth(user):
    return {"Authorization": f"Bearer {token_for(user)}"}


def race(calls):
    """Run the callables at the same moment, one thread each; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(TIMEOUT)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def post(url, headers, json=None):
    return lambda: httpx.post(url, headers=headers, json=json, timeout=TIMEOUT).status_code


def test_ten_concurrent_publishes_one_wins(server, organizer, draft_event):
    url = f"{server.url}/events/{draft_event['id']}/publish"
    statuses = race([post(url, auth(organizer))] * 10)
    assert Counter(statuses) == {200: 1, 409: 9}
    assert event_doc(draft_event["id"])["status"] == "PUBLISHED"


def test_ten_concurrent_cancels_one_wins(server, organizer, published_event):
    url = f"{server.url}/events/{published_event['id']}/cancel"
    statuses = race([post(url, auth(organizer), {"reason": f"r{n}"}) for n in range(10)])
    assert Counter(statuses) == {200: 1, 409: 9}
    doc = event_doc(published_event["id"])
    assert doc["status"] == "CANCELLED" and doc["cancel_reason"].startswith("r")


def test_publish_racing_cancel_on_two_processes(server, start_server, organizer, draft_event):
    """Publish and cancel the same draft at once, through two processes: the cancel
    always wins once; a publish wins at most once, and only if it came first."""
    other = start_server()
    headers = auth(organizer)
    calls = []
    for n in range(5):
        base = (server if n % 2 else other).url + f"/events/{draft_event['id']}"
        calls += [post(f"{base}/publish", headers), post(f"{base}/cancel", headers)]
    statuses = race(calls)
    publishes, cancels = Counter(statuses[0::2]), Counter(statuses[1::2])
    assert cancels == {200: 1, 409: 4}
    assert publishes[200] <= 1 and publishes[200] + publishes[409] == 5
    doc = event_doc(draft_event["id"])
    assert doc["status"] == "CANCELLED"
    assert (doc["published_at"] is not None) == (publishes[200] == 1)


def test_concurrent_capacity_edits_keep_the_seat_count_consistent(server, organizer, published_event):
    sell(published_event["id"], 12)
    url = f"{server.url}/events/{published_event['id']}"
    headers = auth(organizer)
    capacities = [5, 10, 12, 15, 20, 30, 40, 60, 80, 100]

    def patch(capacity):
        return lambda: httpx.patch(url, headers=headers, json={"capacity": capacity}, timeout=TIMEOUT).status_code

    statuses = dict(zip(capacities, race([patch(capacity) for capacity in capacities])))
    assert statuses[5] == statuses[10] == 409
    assert all(statuses[capacity] == 200 for capacity in capacities if capacity >= 12)
    doc = event_doc(published_event["id"])
    assert doc["capacity"] >= 12 and doc["seats_available"] == doc["capacity"] - 12
    assert httpx.get(url, timeout=TIMEOUT).json()["seats_available"] == doc["seats_available"]


def test_ids_never_repeat_across_two_processes(start_server, organizer):
    servers = [start_server(), start_server()]
    headers = auth(organizer)

    def create(n):
        def call():
            response = httpx.post(f"{servers[n % 2].url}/events", headers=headers, json=event_body(title=f"E{n}"), timeout=TIMEOUT)
            assert response.status_code == 201, response.text
            return response.json()["id"]

        return call

    ids = race([create(n) for n in range(30)])
    assert sorted(ids) == [f"EVT-{n:04d}" for n in range(1, 31)]
    assert collection("events").count_documents({}) == 30
    # A restarted process carries on from the counter, not from its own memory.
    servers[0].stop()
    third = start_server()
    response = httpx.post(f"{third.url}/events", headers=headers, json=event_body(), timeout=TIMEOUT)
    assert response.json()["id"] == "EVT-0031"


WRITES = [
    ("PATCH", "", {"price": "99.00"}, "price", "99.00"),
    ("PATCH", "", {"title": "Renamed"}, "title", "Renamed"),
    ("PATCH", "", {"capacity": 20}, "seats_available", 20),
    ("POST", "/cancel", {"reason": "rain"}, "status", "CANCELLED"),
]


@pytest.mark.parametrize("method, suffix, body, field, value", WRITES)
def test_a_write_through_the_server_is_seen_at_once(server, organizer, published_event, method, suffix, body, field, value):
    url = f"{server.url}/events/{published_event['id']}"
    assert httpx.get(url, timeout=TIMEOUT).json()[field] != value
    response = httpx.request(method, f"{url}{suffix}", headers=auth(organizer), json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert httpx.get(url, timeout=TIMEOUT).json()[field] == value


def test_a_write_through_one_process_is_seen_by_another_at_once(server, start_server, organizer, draft_event):
    """Redis holds one cache for all processes: process B's warm copy is replaced
    by process A's writes, each one read back through B immediately."""
    other = start_server()
    reader = f"{server.url}/events/{draft_event['id']}"
    writer = f"{other.url}/events/{draft_event['id']}"
    headers = auth(organizer)
    assert httpx.get(reader, timeout=TIMEOUT).status_code == 404
    steps = [
        ("POST", "/publish", None, "status", "PUBLISHED"),
        ("PATCH", "", {"price": "31.00"}, "price", "31.00"),
        ("PATCH", "", {"capacity": 7}, "seats_available", 7),
        ("POST", "/cancel", None, "status", "CANCELLED"),
    ]
    for method, suffix, body, field, value in steps:
        assert httpx.get(reader, timeout=TIMEOUT).status_code in (200, 404)
        response = httpx.request(method, f"{writer}{suffix}", headers=headers, json=body, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert httpx.get(reader, timeout=TIMEOUT).json()[field] == value
