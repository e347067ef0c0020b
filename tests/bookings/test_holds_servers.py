"""Holds against real daphne processes sharing the test database: races for the last
seats, claims racing each other and releases, expiry by the reconciler process, and
crashes at each step. After each: capacity == seats_available + seats_held + confirmed."""

import asyncio
import itertools
import random
import threading
import time
from datetime import timedelta

import httpx
import pytest

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.bookings.test_servers import send_all
from tests.helpers import hold_expire, holds_of, assert_invariant, event_body, event_doc, make_customers
from tests.servers import ReconcilerProcess

pytestmark = pytest.mark.slow


def hold_through(url, token, event_id, qty):
    response = httpx.post(f"{url}/holds", json={"eventId": event_id, "qty": qty}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_holds_and_bookings_racing_for_the_last_seats_across_two_servers(start_server, create_event):
    urls = [start_server().url, start_server().url]
    event_id = create_event(publish=True, capacity=30, price="5.00")["id"]
    tokens = make_customers(60)
    requests = [
        ("POST", f"{url}/{path}", token, {"eventId": event_id, "qty": 1}, None)
        for url, path, token, _ in zip(itertools.cycle(urls), itertools.cycle(["holds", "holds", "bookings"]), itertools.cycle(tokens), range(120))
    ]
    responses = send_all(requests)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 30 and statuses.count(409) == 90, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"not_enough_seats"}
    event, rows = assert_invariant(event_id)
    held = [r.json()["id"] for (_, url, *_), r in zip(requests, responses) if "/holds" in url and r.status_code == 201]
    assert event["seats_available"] == 0 and event["seats_held"] == len(held) > 0 and len(rows) == 30 - len(held) > 0
    assert sorted(h["id"] for h in holds_of(event_id)) == sorted(held)


def test_claims_and_releases_racing_for_each_hold_take_it_once(start_server, create_event):
    urls = [start_server().url, start_server().url]
    event_id = create_event(publish=True, capacity=20, price="5.00")["id"]
    tokens = make_customers(10)
    hold_ids = [hold_through(urls[0], token, event_id, 2) for token in tokens]
    requests = []
    for token, hold_id in zip(tokens, hold_ids):
        requests += [("POST", f"{url}/bookings", token, {"holdId": hold_id}, None) for url in urls * 2]
        requests += [("DELETE", f"{url}/holds/{hold_id}", token, None, None) for url in urls]
    responses = send_all(requests)
    booked = 0
    for n, hold_id in enumerate(hold_ids):
        claims, releases = responses[n * 6 : n * 6 + 4], responses[n * 6 + 4 : n * 6 + 6]
        winners = [r for r in claims if r.status_code == 201] + [r for r in releases if r.status_code == 204]
        assert len(winners) == 1, (hold_id, [(r.status_code, r.text) for r in claims + releases])
        assert all(r.status_code == 404 for r in claims + releases if r not in winners)
        booked += winners[0].status_code == 201
    event, rows = assert_invariant(event_id)
    assert event["seats_held"] == 0 and len(rows) == booked and event["seats_available"] == 20 - 2 * booked


def test_holds_expire_by_themselves_while_customers_race_to_book_them(start_server, create_event):
    """Holds of ~1.8 s on two servers, the reconciler process releasing expired ones every second;
    8 customers book theirs after a random delay: in time (201) or not (409 hold_expired, 404);
    4 never come back, and their seats return with nobody reading."""
    short = {"HOLD_MINUTES": "0.03"}
    urls = [start_server(extra_env=short).url, start_server(extra_env=short).url]
    event_id = create_event(publish=True, capacity=12, price="5.00")["id"]
    tokens = make_customers(12)
    hold_ids = [hold_through(url, token, event_id, 1) for url, token in zip(itertools.cycle(urls), tokens)]
    assert event_doc(event_id)["seats_available"] == 0
    reconciler = ReconcilerProcess(every=1, older_than=1).start()
    rng = random.Random(3)

    async def late_claim(client, url, token, hold_id):
        await asyncio.sleep(rng.uniform(0.0, 3.5))
        return await client.post(f"{url}/bookings", json={"holdId": hold_id}, headers={"Authorization": f"Bearer {token}"})

    async def run():
        async with httpx.AsyncClient(timeout=60) as client:
            calls = [late_claim(client, url, token, hold_id) for url, token, hold_id in zip(itertools.cycle(urls), tokens[:8], hold_ids)]
            return await asyncio.gather(*calls)

    try:
        responses = asyncio.run(run())
        deadline = time.monotonic() + 60
        while event_doc(event_id)["seats_held"] and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        reconciler.stop()
    outcomes = [(r.status_code, r.json().get("error", {}).get("code")) for r in responses]
    assert set(outcomes) <= {(201, None), (409, "hold_expired"), (404, "hold_not_found")}, outcomes
    booked = {r.json()["id"] for r in responses if r.status_code == 201}
    event, rows = assert_invariant(event_id)
    assert event["seats_held"] == 0 and {row["_id"] for row in rows} == booked
    assert event["seats_available"] == 12 - len(booked) >= 4, outcomes
    assert "holds_expired=" in reconciler.output()


# Each crash point, and what the reconciler must find after it (SIGKILL: whatever was in flight).
CRASH_ROUNDS = {
    "crash:after_hold@25": None,
    "crash:hold_after_take@30": "restored",
    "crash:hold_after_insert@30": "kept",
    "crash:hold_end_after_mark@8": "released",
    "crash:hold_end_after_commit@8": "released",
    "crash:claim_after_mark@16": "restored",
    "crash:claim_after_spend@16": "restored",
    "crash:after_reserve@12": "restored",
    "crash:after_insert@12": "kept",
    "crash:after_unmark@12": None,
    "sigkill": None,
}


# The most seats the rounds can hold or book: each customer makes at most LIMIT holds per
# round, each of at most 2 seats. Every hold is expected to succeed, so no type (and not the
# event's quota) may run out, however fast the servers answer.
LIMIT = 40
MOST_SEATS = len(CRASH_ROUNDS) * 10 * LIMIT * 2


def test_crashes_at_each_step_of_holds_lose_no_booking_and_leak_no_seat(start_server, organizer_client):
    """Customers hold seats of two types under a quota, then book or give back each hold,
    until the server dies; then the reconciler settles, and the invariant holds per type."""
    types = [{"name": "A", "price": "10.00", "capacity": MOST_SEATS}, {"name": "B", "price": "30.00", "capacity": MOST_SEATS}]
    event = organizer_client.post("/events", event_body(price=None, capacity=MOST_SEATS, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    event_id, type_ids = event["id"], [t["id"] for t in event["types"]]
    tokens = make_customers(10)
    confirmed = {}
    rng = random.Random(11)
    for spec, expected in CRASH_ROUNDS.items():
        # Holds cut off by a crash stay until they expire: a cap high enough for them all.
        env = {"HOLD_MAX_SEATS_PER_CUSTOMER": "100"}
        if spec.startswith("crash"):
            env.update(TESTING="1", BOOKING_FAULT_INJECTION=spec)
        daphne = start_server(extra_env=env)
        first = threading.Event()  # a booking of this round answered 201
        if not spec.startswith("crash"):
            # SIGKILL mid-stream, a while after the round's first booking went through.
            delay = rng.uniform(0.5, 2.0)
            threading.Thread(target=lambda: (first.wait(120), time.sleep(delay), daphne.kill()), daemon=True).start()
        before = len(confirmed)
        hold_stream_until_dead(daphne.url, event_id, type_ids, tokens, confirmed, rng, limit=LIMIT, on_booked=first.set)
        assert daphne.proc.wait(60) == (99 if spec.startswith("crash") else -9)
        assert len(confirmed) > before

        settled = bookings_reconcile(older_than_seconds=0)
        if expected:
            assert settled.get(expected), (spec, settled)
        assert_invariant(event_id)
        docs = {doc["_id"]: doc for doc in collection("bookings").find({"_id": {"$in": list(confirmed)}})}
        assert {i for i, doc in docs.items() if doc["status"] == "CONFIRMED"} == set(confirmed), "a booking answered 201 is missing"
        assert all(docs[i]["qty"] == qty for i, qty in confirmed.items())

    # Whatever holds the crashes left run out; the reconciler gives their seats back.
    for live in holds_of(event_id):
        hold_expire(live["id"])
    bookings_reconcile(older_than_seconds=0)
    event_after, rows = assert_invariant(event_id)
    assert event_after["seats_held"] == 0 and holds_of(event_id) == []
    # Every seat not on sale is a confirmed booking's: those answered 201, and those whose answer a crash cut.
    assert event_after["seats_available"] == MOST_SEATS - sum(row["qty"] for row in rows) <= MOST_SEATS - sum(confirmed.values())


def hold_stream_until_dead(url, event_id, type_ids, tokens, confirmed, rng, limit=40, on_booked=None):
    """Each customer holds 1-2 seats, then books the hold (2 in 3) or gives it back, until the
    server stops answering. Only answers received are recorded. `on_booked()`: called after
    each booking answered 201."""

    async def customer(client, token):
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(limit):
            try:
                qty = rng.randint(1, 2)
                body = {"eventId": event_id, "qty": qty, "ticketTypeId": rng.choice(type_ids)}
                response = await client.post(f"{url}/holds", json=body, headers=headers)
                assert response.status_code == 201, response.text
                hold_id = response.json()["id"]
                if rng.random() < 2 / 3:
                    response = await client.post(f"{url}/bookings", json={"holdId": hold_id}, headers=headers)
                    assert response.status_code == 201, response.text
                    confirmed[response.json()["id"]] = qty
                    if on_booked is not None:
                        on_booked()
                else:
                    response = await client.delete(f"{url}/holds/{hold_id}", headers=headers)
                    assert response.status_code == 204, response.text
            except httpx.HTTPError:
                return

    async def run():
        async with httpx.AsyncClient(timeout=60) as client:
            await asyncio.gather(*(customer(client, token) for token in tokens))

    asyncio.run(run())
