"""Races and crashes against real daphne processes sharing the test database."""

import asyncio
import itertools
import random
import threading
import time

import httpx
import pytest

from bookings.services import bookings_reconcile
from shared.mongo import collection
from tests.helpers import assert_invariant, event_body, event_doc, make_customers, token_for
from tests.servers import ReconcilerProcess

pytestmark = pytest.mark.slow
KEY = "3b241101-e2bb-4255-8caf-4136c566a962"


def send_all(requests):
    """Fire (method, url, token, body, headers) requests at once; responses or exceptions, in order."""

    async def run():
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            calls = [
                client.request(method, url, json=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
                for method, url, token, body, headers in requests
            ]
            return await asyncio.gather(*calls, return_exceptions=True)

    return asyncio.run(run())


def bookings_at(urls, event_id, tokens, count, qty=1, headers=None):
    return [
        ("POST", f"{url}/bookings", token, {"eventId": event_id, "qty": qty}, headers)
        for url, token, _ in zip(itertools.cycle(urls), itertools.cycle(tokens), range(count))
    ]


def check_oversell_race(urls, create_event):
    event_id = create_event(publish=True, capacity=120, price="7.50")["id"]
    responses = send_all(bookings_at(urls, event_id, make_customers(60), 250))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 120, statuses
    assert statuses.count(409) == 130
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"not_enough_seats"}
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 0 and sum(row["qty"] for row in rows) == 120
    assert {r.json()["id"] for r in responses if r.status_code == 201} == {row["_id"] for row in rows}


def test_no_oversell_in_one_server(server, create_event):
    check_oversell_race([server.url], create_event)


def test_no_oversell_across_two_servers(start_server, create_event):
    check_oversell_race([start_server().url, start_server().url], create_event)


def test_two_types_race_for_the_last_seats_of_a_shared_quota_across_two_servers(start_server, organizer_client):
    """Each type has seats enough on its own; the event's quota (30) has room for 30."""
    urls = [start_server().url, start_server().url]
    types = [{"name": "Standard", "price": "10.00", "capacity": 25}, {"name": "VIP", "price": "40.00", "capacity": 25}]
    event = organizer_client.post("/events", event_body(price=None, capacity=30, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    standard, vip = [t["id"] for t in event["types"]]
    tokens = make_customers(40)
    requests = [
        ("POST", f"{url}/bookings", token, {"eventId": event["id"], "qty": 1, "ticketTypeId": type_id}, None)
        for url, token, type_id, _ in zip(itertools.cycle(urls), itertools.cycle(tokens), itertools.cycle([standard, vip]), range(120))
    ]
    responses = send_all(requests)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 30 and statuses.count(409) == 90, statuses
    event_after, rows = assert_invariant(event["id"])
    assert event_after["seats_available"] == 0
    sold = {t["id"]: t["tickets_sold"] for t in event_after["types"]}
    # Both types sold (they raced), neither beyond its own 25, together exactly the quota.
    assert sum(sold.values()) == 30 and all(0 < n <= 25 for n in sold.values()), sold


def test_type_edits_racing_bookings_never_overwrite_seats_sold(server, organizer, organizer_client):
    """Organizer edits (price, capacity of the types) land between bookings; no sale is lost."""
    types = [{"name": "Standard", "price": "10.00", "capacity": 40}, {"name": "VIP", "price": "40.00", "capacity": 20}]
    event = organizer_client.post("/events", event_body(price=None, capacity=None, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    standard, vip = [t["id"] for t in event["types"]]
    tokens = make_customers(20)
    org = token_for(organizer)
    requests = [
        ("POST", f"{server.url}/bookings", token, {"eventId": event["id"], "qty": 1, "ticketTypeId": type_id}, None)
        for token, type_id, _ in zip(itertools.cycle(tokens), itertools.cycle([standard, vip]), range(60))
    ]
    edits = [
        ("PATCH", f"{server.url}/events/{event['id']}", org,
         {"types": [{"id": standard, "price": f"{10 + n}.00", "capacity": 40 + n}, {"id": vip, "capacity": 20 + n}]}, None)
        for n in range(10)
    ]
    responses = send_all(requests[:30] + edits + requests[30:])
    edit_statuses = [r.status_code for r in responses[30:40]]
    assert set(edit_statuses) <= {200, 409} and 200 in edit_statuses, [r.text for r in responses[30:40]]
    event_after, rows = assert_invariant(event["id"])
    assert sum(r.status_code == 201 for r in responses) == len(rows)


def test_mixed_quantities_never_exceed_capacity(server, create_event):
    event_id = create_event(publish=True, capacity=101, price="25.00")["id"]
    tokens = make_customers(40)
    quantities = [1, 2, 3, 5] * 60
    requests = [("POST", f"{server.url}/bookings", token, {"eventId": event_id, "qty": qty}, None) for token, qty in zip(itertools.cycle(tokens), quantities)]
    responses = send_all(requests)
    assert {r.status_code for r in responses} <= {201, 409}
    event, rows = assert_invariant(event_id)
    refused = [qty for qty, r in zip(quantities, responses) if r.status_code == 409]
    # Seats only went down, so each refusal saw more seats than are left, and fewer than it asked.
    for qty, r in zip(quantities, responses):
        if r.status_code == 409:
            assert event["seats_available"] <= r.json()["error"]["seats_available"] < qty
    assert refused and event["seats_available"] < min(refused)


@pytest.mark.parametrize("processes", [1, 2])
def test_racing_retries_with_one_key_book_once(processes, start_server, create_event):
    urls = [start_server().url for _ in range(processes)]
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    [token] = make_customers(1)
    responses = send_all(bookings_at(urls, event_id, [token], 20, qty=2, headers={"Idempotency-Key": KEY}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201], statuses
    assert len({r.json()["id"] for r in responses}) == 1
    event, rows = assert_invariant(event_id)
    assert len(rows) == 1 and event["seats_available"] == 8


@pytest.mark.parametrize("processes", [1, 2])
def test_racing_cancels_cancel_once(processes, start_server, create_event):
    urls = [start_server().url for _ in range(processes)]
    event_id = create_event(publish=True, capacity=20, price="10.00")["id"]
    [token] = make_customers(1)
    ids = [r.json()["id"] for r in send_all(bookings_at(urls[:1], event_id, [token], 5, qty=2))]
    requests = [("POST", f"{url}/bookings/{booking_id}/cancel", token, None, None) for booking_id in ids for url in urls * (8 // len(urls))]
    responses = send_all(requests)
    for n, booking_id in enumerate(ids):
        statuses = sorted(r.status_code for r in responses[n * 8 : (n + 1) * 8])
        assert statuses == [200] + [409] * 7, (booking_id, statuses)
    event, rows = assert_invariant(event_id)
    assert rows == [] and event["seats_available"] == 20 and event["revenue_cents"] == 0


def test_the_reconciler_process_settles_what_a_crash_left(start_server, create_event):
    """`manage.py reconcile_bookings --every N`, the process `make run` starts beside daphne."""
    event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
    [token] = make_customers(1)
    crashing = start_server(extra_env={"TESTING": "1", "BOOKING_FAULT_INJECTION": "crash:after_reserve"})
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{crashing.url}/bookings", json={"eventId": event_id, "qty": 2}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    crashing.proc.wait(30)
    assert event_doc(event_id)["seats_available"] == 3 and len(event_doc(event_id)["pending"]) == 1

    reconciler = ReconcilerProcess(every=1, older_than=1).start()
    try:
        deadline = time.monotonic() + 90
        while event_doc(event_id)["pending"] and time.monotonic() < deadline:
            time.sleep(0.2)
        event, rows = assert_invariant(event_id)
        assert event["seats_available"] == 5 and rows == []
        assert reconciler.proc.poll() is None, reconciler.output()  # still running, for the next one
    finally:
        reconciler.stop()
    assert "restored=1" in reconciler.output()


# Each crash point, and what the reconciler must find after it (SIGKILL: whatever was in flight).
CRASH_ROUNDS = {
    "crash:after_reserve@40": "restored",
    "crash:after_insert@40": "kept",
    "crash:cancel_after_mark@4": "finished",
    "crash:after_unmark@40": None,
    "crash:cancel_after_flip@4": "released",
    "sigkill": None,
    "sigkill ": None,
}


# The most seats the crash rounds can ask for: each customer makes at most LIMIT requests
# per round, each for at most 2 seats. Every booking is expected to succeed, so no type
# (and not the event's quota) may run out, however fast the servers answer.
LIMIT = 60
MOST_SEATS = len(CRASH_ROUNDS) * 12 * LIMIT * 2


def test_crashes_lose_no_confirmed_booking_and_leak_no_seat(start_server, organizer_client):
    """On an event of three ticket types under a shared quota: the invariant holds per type too."""
    types = [{"name": name, "price": price, "capacity": MOST_SEATS} for name, price in [("A", "10.00"), ("B", "25.00"), ("C", "60.00")]]
    event = organizer_client.post("/events", event_body(price=None, capacity=MOST_SEATS, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    event_id, type_ids = event["id"], [t["id"] for t in event["types"]]
    tokens = make_customers(12)
    seen = {"confirmed": {}, "owner": {}, "cancelled": set(), "cancel_tried": set()}
    confirmed, cancelled, cancel_tried = seen["confirmed"], seen["cancelled"], seen["cancel_tried"]
    rng = random.Random(7)
    for spec, expected in CRASH_ROUNDS.items():
        env = {}
        first = threading.Event()  # a booking of this round answered 201
        if spec.startswith("crash"):
            env.update(TESTING="1", BOOKING_FAULT_INJECTION=spec)
        else:
            # SIGKILL mid-stream: a while after the round's first booking went through (the
            # server's first answers can take longer than the delay on a busy machine).
            delay = rng.uniform(0.5, 2.0)
            timer = threading.Thread(target=lambda: (first.wait(120), time.sleep(delay), daphne.kill()), daemon=True)
        daphne = start_server(extra_env=env)
        if not spec.startswith("crash"):
            timer.start()
        before = len(confirmed)
        stream_until_dead(daphne.url, event_id, tokens, seen, rng, limit=LIMIT, type_ids=type_ids, on_booked=first.set)
        assert daphne.proc.wait(60) == (99 if spec.startswith("crash") else -9)
        assert len(confirmed) > before

        # No server runs now: settle everything the crash left, then look.
        settled = bookings_reconcile(older_than_seconds=0)
        if expected:
            assert settled.get(expected), (spec, settled)
        event, rows = assert_invariant(event_id)
        docs = {doc["_id"]: doc for doc in collection("bookings").find({"_id": {"$in": list(confirmed)}})}
        assert set(docs) == set(confirmed), "a booking answered 201 is missing"
        for booking_id, doc in docs.items():
            assert doc["qty"] == confirmed[booking_id]
            if booking_id in cancelled:
                assert doc["status"] == "CANCELLED"
            elif booking_id not in cancel_tried:
                assert doc["status"] == "CONFIRMED", booking_id
        # Every booking in the database, and every cancellation, is in the organizer's notice
        # log once, whatever the crash interrupted: the reconciler recorded what was lost.
        keys = [n["key"] for n in collection("notices").find({"recipient": str(event["organizer_id"])})]
        assert len(keys) == len(set(keys))
        for doc in collection("bookings").find({"event_id": event_id, "status": {"$ne": "VOID"}}):
            assert f"booking.created:{doc['_id']}" in keys, (spec, doc["_id"])
            if doc["status"] == "CANCELLED":
                assert f"booking.cancelled:{doc['_id']}" in keys, (spec, doc["_id"])
    assert len(confirmed) > 20 and cancelled


def stream_until_dead(url, event_id, tokens, seen, rng, limit=60, type_ids=(), on_booked=None):
    """Each customer books (and now and then cancels one of theirs) until the server stops answering.
    Only answers received are recorded: a request cut by the crash may or may not have happened.
    `on_booked()`: called after each booking answered 201."""

    async def customer(client, token):
        headers = {"Authorization": f"Bearer {token}"}
        for n in range(limit):
            mine = [b for b, owner in seen["owner"].items() if owner == token and b not in seen["cancel_tried"]]
            try:
                if mine and n % 3 == 2:
                    booking_id = rng.choice(mine)
                    seen["cancel_tried"].add(booking_id)
                    response = await client.post(f"{url}/bookings/{booking_id}/cancel", headers=headers)
                    assert response.status_code == 200, response.text
                    seen["cancelled"].add(booking_id)
                else:
                    qty = rng.randint(1, 2)
                    body = {"eventId": event_id, "qty": qty}
                    if type_ids:
                        body["ticketTypeId"] = rng.choice(type_ids)
                    response = await client.post(f"{url}/bookings", json=body, headers=headers)
                    assert response.status_code == 201, response.text
                    seen["confirmed"][response.json()["id"]] = qty
                    seen["owner"][response.json()["id"]] = token
                    if on_booked is not None:
                        on_booked()
            except httpx.HTTPError:
                return

    async def run():
        async with httpx.AsyncClient(timeout=60) as client:
            await asyncio.gather(*(customer(client, token) for token in tokens))

    asyncio.run(run())
