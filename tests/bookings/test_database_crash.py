"""The database process dies (SIGKILL of the local server on its H2 files, as `make run`
runs it) under concurrent bookings, cancellations, holds and waiting-list offers against
two daphne processes and the reconciler, and comes back: nothing acknowledged is lost, no
id is handed out twice, every event and type adds up, no hold is booked twice."""

import asyncio
import random
import threading
import time
from collections import Counter

import httpx
import pytest

from accounts.models import Role
from bookings.services import bookings_reconcile
from shared.mongo import collection
from tests.helpers import assert_seats_add_up, event_body, new_user, post_as, token_for
from tests.servers import ReconcilerProcess

pytestmark = pytest.mark.slow
RUN_SECONDS = 14
KILLS_AT = (3, 8)
SERVER_ENV = {"MONGODB_TIMEOUT_MS": "1000", "RECONCILE_AFTER_SECONDS": "3"}


class Ledger:
    """What the clients were told: only answers received count (a request cut by the crash,
    or answered 503, may or may not have happened)."""

    def __init__(self):
        self.booked = {}  # booking id -> (customer id, qty, event id)
        self.booked_at = []  # when each booking was answered 201
        self.reused = []
        self.cancelled, self.cancel_tried = set(), set()
        self.holds = {}  # hold id -> customer id
        self.claims = Counter()  # hold id -> bookings answered 201 from it
        self.statuses = Counter()
        self.unexpected = []

    def answer(self, response, *expected):
        self.statuses[response.status_code] += 1
        if response.status_code == 503:
            assert response.json()["error"]["code"] == "database_unavailable" and response.headers["Retry-After"]
        elif response.status_code not in expected and response.status_code != 409:
            self.unexpected.append((str(response.request.url), response.status_code, response.text[:300]))
        return response.status_code in expected

    def booking(self, response, customer_id, qty, event_id, hold_id=None, also=()):
        if self.answer(response, 201, *also):
            if response.status_code != 201:
                return None
            booking = response.json()
            if booking["id"] in self.booked:
                self.reused.append(booking["id"])
            self.booked[booking["id"]] = (customer_id, booking["qty"], booking["event_id"])
            self.booked_at.append(time.monotonic())
            if hold_id:
                self.claims[hold_id] += 1
            return booking
        return None


def make_event(server, organizer, **fields):
    event = post_as(server, organizer, "/events", event_body(**fields), status=201)
    post_as(server, organizer, f"/events/{event['id']}/publish")
    return event


async def shopper(client, url, user, events, ledger, rng, stop):
    """Books, holds then books the hold, cancels one of its own bookings now and then."""
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    mine = []
    while not stop.is_set():
        try:
            event = rng.choice(events)
            body = {"eventId": event["id"], "qty": rng.randint(1, 2)}
            if len(event["types"]) > 1:
                body["ticketTypeId"] = rng.choice(event["types"])["id"]
            roll = rng.random()
            if mine and roll < 0.25:
                booking_id = mine.pop(rng.randrange(len(mine)))
                ledger.cancel_tried.add(booking_id)
                response = await client.post(f"{url}/bookings/{booking_id}/cancel", headers=headers)
                if ledger.answer(response, 200):
                    ledger.cancelled.add(booking_id)
            elif roll < 0.55:
                held = await client.post(f"{url}/holds", json=body, headers=headers)
                if ledger.answer(held, 201):
                    hold_id = held.json()["id"]
                    if hold_id in ledger.holds:
                        ledger.reused.append(hold_id)
                    ledger.holds[hold_id] = user.pk
                    response = await client.post(f"{url}/bookings", json={"holdId": hold_id}, headers=headers)
                    booking = ledger.booking(response, user.pk, body["qty"], event["id"], hold_id=hold_id)
                    mine += [booking["id"]] if booking else []
            else:
                response = await client.post(f"{url}/bookings", json=body, headers=headers)
                booking = ledger.booking(response, user.pk, body["qty"], event["id"])
                mine += [booking["id"]] if booking else []
        except httpx.HTTPError:
            await asyncio.sleep(0.2)


async def seat_giver(client, url, user, booking_id, ledger, rng, stop):
    """A customer of the sold-out event cancels once (retrying through the outage): the
    seats go to its waiting line."""
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    await asyncio.sleep(rng.uniform(0.5, RUN_SECONDS - 4))
    while not stop.is_set():
        ledger.cancel_tried.add(booking_id)
        try:
            response = await client.post(f"{url}/bookings/{booking_id}/cancel", headers=headers)
        except httpx.HTTPError:
            await asyncio.sleep(0.2)
            continue
        if ledger.answer(response, 200):
            ledger.cancelled.add(booking_id)
        if response.status_code != 503:
            return
        await asyncio.sleep(0.2)


async def waiter(client, url, user, ledger, stop):
    """A customer in the line books the offer it is given."""
    headers = {"Authorization": f"Bearer {token_for(user)}"}
    while not stop.is_set():
        try:
            response = await client.get(f"{url}/waitlist/me", headers=headers)
            if ledger.answer(response, 200):
                for entry in response.json()["results"]:
                    if entry["state"] == "OFFERED" and not ledger.claims[entry["hold_id"]]:
                        booked = await client.post(f"{url}/bookings", json={"holdId": entry["hold_id"]}, headers=headers)
                        # 404: a try whose answer was lost booked it (the entry shows BOOKED next), or it expired.
                        ledger.booking(booked, user.pk, entry["qty"], entry["event_id"], hold_id=entry["hold_id"], also=(404,))
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)


def test_a_killed_database_loses_nothing_acknowledged_and_reuses_no_id(own_database, start_server):
    organizer = new_user(Role.ORGANIZER)
    shoppers = [new_user(Role.CUSTOMER) for _ in range(10)]
    givers = [new_user(Role.CUSTOMER) for _ in range(4)]
    waiters = [new_user(Role.CUSTOMER) for _ in range(6)]
    servers = [start_server(extra_env=SERVER_ENV), start_server(extra_env=SERVER_ENV)]
    reconciler = ReconcilerProcess(every=1, older_than=3, extra_env=SERVER_ENV).start()
    types = [{"name": "Standard", "price": "10.00", "capacity": 40}, {"name": "VIP", "price": "25.00", "capacity": 40}]
    events = [
        make_event(servers[0], organizer, capacity=120, price="12.00"),
        make_event(servers[0], organizer, capacity=60, price=None, types=types),
    ]
    line_event = make_event(servers[0], organizer, capacity=8, price="30.00")
    ledger = Ledger()
    given = [post_as(servers[0], giver, "/bookings", {"eventId": line_event["id"], "qty": 2}, status=201) for giver in givers]
    for booking, giver in zip(given, givers):
        ledger.booked[booking["id"]] = (giver.pk, 2, line_event["id"])
    for customer in waiters:
        post_as(servers[1], customer, f"/events/{line_event['id']}/waitlist", {"qty": 1}, status=201)

    stop = threading.Event()

    restarted = []

    def crash_and_restart():
        started = time.monotonic()
        for at in KILLS_AT:
            time.sleep(max(0, started + at - time.monotonic()))
            own_database.kill()
            time.sleep(0.5)
            own_database.start()
            restarted.append(time.monotonic())
        time.sleep(max(0, started + RUN_SECONDS - time.monotonic()))
        stop.set()

    async def run():
        rng = random.Random(19)
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as client:
            urls = [server.url for server in servers]
            await asyncio.gather(
                *(shopper(client, urls[n % 2], user, events, ledger, random.Random(n), stop) for n, user in enumerate(shoppers)),
                *(seat_giver(client, urls[n % 2], user, b["id"], ledger, rng, stop) for n, (user, b) in enumerate(zip(givers, given))),
                *(waiter(client, urls[n % 2], user, ledger, stop) for n, user in enumerate(waiters)),
            )

    # The database is restarted from this thread: a child gets SIGTERM when the thread that
    # started it ends (PR_SET_PDEATHSIG, devtools/services.py), so the clients run in another.
    clients = threading.Thread(target=lambda: asyncio.run(run()))
    clients.start()
    try:
        crash_and_restart()
    finally:
        stop.set()
        clients.join()
    for server in servers:
        server.kill()  # what they were doing is left to settle, as after a crash
    reconciler.stop()
    # No server runs now: settle what the outages left, as the reconciler would.
    bookings_reconcile(older_than_seconds=0)

    assert ledger.statuses[503] > 0, ledger.statuses  # the outages happened
    assert not ledger.unexpected, ledger.unexpected
    assert not ledger.reused, f"ids handed out twice: {ledger.reused}"
    assert max(ledger.claims.values(), default=0) <= 1, "a hold was booked twice"
    assert sum(ledger.claims.values()) > 0
    stored = {doc["_id"]: doc for doc in collection("bookings").find({"_id": {"$in": list(ledger.booked)}})}
    lost = sorted(set(ledger.booked) - set(stored))
    assert not lost, f"acknowledged bookings lost: {lost}"
    for booking_id, (customer_id, qty, event_id) in ledger.booked.items():
        doc = stored[booking_id]
        assert (doc["customer_id"], doc["qty"], doc["event_id"]) == (customer_id, qty, event_id), booking_id
        if booking_id in ledger.cancelled:
            assert doc["status"] == "CANCELLED", f"an acknowledged cancellation was undone: {booking_id}"
        elif booking_id not in ledger.cancel_tried:
            assert doc["status"] == "CONFIRMED", booking_id
    for event in [*events, line_event]:
        assert_seats_add_up(event["id"])
    print(f"{len(ledger.booked)} bookings, {len(ledger.cancelled)} cancellations, "
          f"{sum(ledger.claims.values())} holds booked; answers {dict(ledger.statuses)}")
    # Bookings were answered before the first crash and after the last restart: the service came back by itself.
    assert ledger.cancelled and len(ledger.booked) > len(given) + 5
    assert any(moment > restarted[-1] for moment in ledger.booked_at)
