"""CPU per check-in against CPU per booking, in one process: the request through Django's
whole stack (DRF's test client: middleware, token authentication, view, JSON) and the
service alone (checkin_scan, booking_create), without HTTP or ASGI. Prints figures; never
passes or fails.

    .venv/bin/python devtools/services.py --mongo memory --redis -- .venv/bin/python bench/bench_checkin.py

CPU is this process's (time.process_time): the database server's is not in it. MongoDB
commands per request are counted with a PyMongo CommandListener (the token
authentication's user lookup included). Each check-in scans a ticket not scanned before.
"""

import argparse
import os
import time

from pymongo import monitoring
from setup_django import setup_django

parser = argparse.ArgumentParser()
parser.add_argument("--count", type=int, default=400, help="bookings and check-ins of each kind measured")
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")


class Commands(monitoring.CommandListener):
    count = 0

    def started(self, event):
        Commands.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


monitoring.register(Commands())
setup_django("bench_checkin")

from django.core.cache import cache  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import Role  # noqa: E402
from bookings.services import booking_create  # noqa: E402
from shared.mongo import collection  # noqa: E402
from tests.helpers import event_body, new_user, token_for  # noqa: E402
from tickets.codes import Ticket, code_for  # noqa: E402
from tickets.services import checkin_scan  # noqa: E402


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def cpu_ms(fn, count):
    """(CPU ms, MongoDB commands) per call."""
    fn()
    commands = Commands.count
    started = time.process_time()
    for _ in range(count):
        fn()
    return (time.process_time() - started) * 1000 / count, (Commands.count - commands) / count


def main():
    for name in ("events", "bookings", "counters", "idempotency_keys", "checkins", "door_staff"):
        collection(name).delete_many({})
    cache.clear()
    organizer_user = new_user(Role.ORGANIZER)
    organizer = client_for(organizer_user)
    customer_user = new_user(Role.CUSTOMER)
    customer = client_for(customer_user)
    event_id = organizer.post("/events", event_body(capacity=1_000_000), format="json").json()["id"]
    assert organizer.post(f"/events/{event_id}/publish").status_code == 200
    figures = {}
    def measure_bookings():
        def post_booking():
            response = customer.post("/bookings", {"eventId": event_id, "qty": 1}, format="json")
            assert response.status_code == 201, response.content

        figures.setdefault("POST /bookings (whole stack)", []).append(cpu_ms(post_booking, args.count))
        figures.setdefault("booking_create (service)", []).append(
            cpu_ms(lambda: booking_create(customer=customer_user, event_id=event_id, qty=1), args.count))

    def measure_checkins():
        # Tickets to scan: 10 seats a booking, made outside the measured loops.
        codes = []
        for _ in range((2 * args.count + 2) // 10 + 1):
            booking, _, _ = booking_create(customer=customer_user, event_id=event_id, qty=10)
            codes += [code_for(Ticket(event_id=event_id, booking_id=booking["_id"], seat=seat, ticket_type_id=booking["ticket_type_id"]))
                      for seat in range(1, 11)]
        unscanned = iter(codes)

        def post_checkin():
            body = {"code": next(unscanned), "gate": "North", "nonce": f"bench-{next(counter):09d}"}
            response = organizer.post(f"/events/{event_id}/checkins", body, format="json")
            assert response.status_code == 201, response.content

        figures.setdefault("POST /events/:id/checkins (whole stack)", []).append(cpu_ms(post_checkin, args.count))
        figures.setdefault("checkin_scan (service)", []).append(cpu_ms(
            lambda: checkin_scan(event_id=event_id, actor=organizer_user, code=next(unscanned), gate="North",
                                 nonce=f"bench-{next(counter):09d}"), args.count))

    counter = iter(range(10**9))
    for round_number in range(args.rounds):
        # Alternating which goes first, so neither always runs on a warmer (or busier) process.
        for measure in (measure_bookings, measure_checkins)[:: 1 if round_number % 2 == 0 else -1]:
            measure()
    head = os.popen("git rev-parse --short HEAD").read().strip()
    for name, runs in figures.items():
        times = sorted(ms for ms, _ in runs)
        commands = runs[0][1]
        print(f"{head}\t{name}\tmedian {times[len(times) // 2]:.2f} ms CPU, best {times[0]:.2f} "
              f"(rounds: {', '.join(f'{ms:.2f}' for ms, _ in runs)})\t{commands:.2f} MongoDB commands")


main()
