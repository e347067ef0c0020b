"""Cancellations, claims, declines and expiries racing on two server processes with the
reconciler running: no seat is lost or sold twice, each offer is booked at most once."""

import random
import threading
import time
from collections import Counter

import httpx
import pytest
from django.utils.dateparse import parse_datetime

from bookings.services import bookings_reconcile
from shared.timeutil import now
from tests.helpers import assert_seats_add_up, confirmed, line_of, token_for
from tests.servers import ReconcilerProcess

pytestmark = pytest.mark.slow
OFFER_SECONDS = 10
OFFER_ENV = {"WAITLIST_OFFER_SECONDS": str(OFFER_SECONDS)}


def call(method, url, user, body=None):
    response = httpx.request(method, url, json=body, headers={"Authorization": f"Bearer {token_for(user)}"}, timeout=60)
    return response.status_code, (response.json() if response.content else None)


def test_cancellations_claims_and_expiries_racing_on_two_processes_lose_and_double_sell_nothing(
    start_server, make_user, create_event
):
    servers = [start_server(extra_env=OFFER_ENV), start_server(extra_env=OFFER_ENV)]
    urls = [server.url for server in servers]
    rng = random.Random(14)
    event_id = create_event(publish=True, capacity=8, price="10.00")["id"]
    holders = []
    for qty in (1, 1, 1, 1, 2, 2):
        holder = make_user()
        status, booking = call("POST", f"{urls[len(holders) % 2]}/bookings", holder, {"eventId": event_id, "qty": qty})
        assert status == 201, booking
        holders.append((holder, booking["id"]))
    line = []
    for n in range(10):
        customer = make_user()
        status, entry = call("POST", f"{urls[n % 2]}/events/{event_id}/waitlist", customer, {"qty": 1 + n % 2})
        assert status == 201, entry
        line.append((customer, entry))
    outsiders = [make_user() for _ in range(2)]
    claims, plain = Counter(), Counter()
    lock = threading.Lock()
    stop = time.monotonic() + 50

    def cancel(holder, booking_id):
        time.sleep(rng.random() * 6)
        # Both processes at once: one cancellation wins.
        statuses = sorted(call("POST", f"{url}/bookings/{booking_id}/cancel", holder)[0] for url in urls)
        assert statuses == [200, 409], statuses

    def wait_in_line(n, customer, entry):
        behaviour = ("claim", "claim_late", "expire", "decline")[n % 4]
        tried = set()
        while time.monotonic() < stop:
            status, mine = call("GET", f"{rng.choice(urls)}/waitlist/me", customer)
            (shown,) = [e for e in mine["results"] if e["id"] == entry["id"]] or [None]
            if shown is None or shown["state"] in ("BOOKED", "EXPIRED"):
                return
            if shown["state"] == "OFFERED" and shown["hold_id"] not in tried:
                tried.add(shown["hold_id"])
                if behaviour == "decline":
                    assert call("DELETE", f"{rng.choice(urls)}/waitlist/{entry['id']}", customer)[0] in (204, 404)
                    return
                if behaviour == "claim_late":
                    # Racing the offer's expiry and the reconciler: claims sent around the moment it ends.
                    time.sleep(max(0, (parse_datetime(shown["hold_expires_at"]) - now()).total_seconds() - rng.random() * 0.5))
                if behaviour in ("claim", "claim_late"):
                    # The same claim through both processes at once: at most one books.
                    results = [None, None]
                    threads = [threading.Thread(target=lambda i=i: results.__setitem__(
                        i, call("POST", f"{urls[i]}/bookings", customer, {"holdId": shown["hold_id"]}))) for i in range(2)]
                    [t.start() for t in threads]
                    [t.join() for t in threads]
                    with lock:
                        for status, body in results:
                            claims[status if status == 201 else body["error"]["code"]] += 1
                            if status == 201:
                                claims[("booked", entry["id"])] += 1
                                assert body["qty"] == entry["qty"]
            time.sleep(0.3)

    def outsider(customer):
        while time.monotonic() < stop - 20:
            status, body = call("POST", f"{rng.choice(urls)}/bookings", customer, {"eventId": event_id, "qty": 1})
            with lock:
                plain[body["error"]["code"] if status != 201 else 201] += 1
            time.sleep(0.2)

    reconciler = ReconcilerProcess(every=1, older_than=1, extra_env=OFFER_ENV).start()
    try:
        threads = [threading.Thread(target=cancel, args=pair) for pair in holders]
        threads += [threading.Thread(target=wait_in_line, args=(n, *pair)) for n, pair in enumerate(line)]
        threads += [threading.Thread(target=outsider, args=(customer,)) for customer in outsiders]
        [t.start() for t in threads]
        [t.join(90) for t in threads]
        assert not any(t.is_alive() for t in threads)
    finally:
        reconciler.stop()
    time.sleep(OFFER_SECONDS + 0.2)  # every offer made by the servers is expired now
    bookings_reconcile(older_than_seconds=0)
    bookings_reconcile(older_than_seconds=0)

    assert_seats_add_up(event_id)
    line = line_of(event_id)
    states = Counter(entry["state"] for entry in line)
    booked = [entry["id"] for entry in line if entry["state"] == "BOOKED"]
    # Each booked entry was booked once, by one of the two racing claims, and holds a booking.
    assert sorted(booked) == sorted(key[1] for key in claims if isinstance(key, tuple)), (claims, states)
    assert all(claims[("booked", entry_id)] == 1 for entry_id in booked)
    assert len(confirmed(event_id)) == len(booked) + plain[201]
    assert booked and states["EXPIRED"], (states, claims)
    print(f"line: {dict(states)}; claims: {dict((k, v) for k, v in claims.items() if not isinstance(k, tuple))}; plain bookings: {dict(plain)}")
