"""Each hand-built twin of a contract (shared.output.TWINS) against its serializer,
in one process and one run: each twin alone (CPU per call), then the requests it serves,
measured with all twins on and with that one switched off (`by_hand_on` false: the
serializer does the work), alternating in rounds. Prints CPU ms per request (this
process's, time.process_time; the database server's is not in it) and requests/s (one
client, one at a time, through DRF's test client: middleware, token authentication,
view, JSON); never passes or fails.

    .venv/bin/python devtools/services.py --mongo memory --redis -- .venv/bin/python bench/bench_contracts.py
"""

import argparse
import os
import statistics
import time

from setup_django import setup_django

parser = argparse.ArgumentParser()
parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
parser.add_argument("--rounds", type=int, default=5)
args = parser.parse_args()
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("THREAD_HOPS_LOG", "0")
setup_django("bench_contracts")

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import Role  # noqa: E402
from bookings.services import booking_create  # noqa: E402
from shared.mongo import collection  # noqa: E402
from shared.output import TWINS  # noqa: E402
from tests.helpers import event_body, new_user, token_for  # noqa: E402

get_resolver().url_patterns  # every app's views and serializers imported: every twin defined


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def main():
    for name in ("events", "bookings", "counters", "idempotency_keys", "notices"):
        collection(name).delete_many({})
    cache.clear()
    organizer_user = new_user(Role.ORGANIZER)
    organizer = client_for(organizer_user)
    customer_user = new_user(Role.CUSTOMER)
    customer = client_for(customer_user)
    anyone = APIClient()
    ids = []
    for n in range(20):
        body = event_body(title=f"Event {n}", capacity=1_000_000, description="x" * 200)
        ids.append(organizer.post("/events", body, format="json").json()["id"])
        assert organizer.post(f"/events/{ids[-1]}/publish").status_code == 200
    hot = ids[0]
    for _ in range(20):
        booking_create(customer=customer_user, event_id=hot, qty=1)

    def post_booking():
        response = customer.post("/bookings", {"eventId": hot, "qty": 1}, format="json")
        assert response.status_code == 201, response.content

    def my_bookings():
        response = customer.get("/bookings/me")
        assert response.status_code == 200 and len(response.json()["results"]) == 20, response.content

    def listing():
        response = anyone.get("/events")
        assert response.status_code == 200 and len(response.json()["results"]) == 20, response.content

    def listing_without_memo():
        memo, settings.EVENT_JSON_MEMO_SIZE = settings.EVENT_JSON_MEMO_SIZE, 0
        try:
            listing()
        finally:
            settings.EVENT_JSON_MEMO_SIZE = memo

    def one_event():
        assert anyone.get(f"/events/{ids[1]}").status_code == 200

    def one_event_owned():
        assert organizer.get(f"/events/{ids[1]}").status_code == 200

    requests = {
        "POST /bookings": post_booking,
        "GET /bookings/me (20 bookings)": my_bookings,
        "GET /events (20 events, memo on)": listing,
        "GET /events (20 events, memo off)": listing_without_memo,
        "GET /events/:id (public)": one_event,
        "GET /events/:id (owner)": one_event_owned,
    }
    # Which requests each twin serves.
    serves = {
        "bookings.serializers.booking_output": ["POST /bookings", "GET /bookings/me (20 bookings)"],
        "notifications.services.booking_notice": ["POST /bookings"],
        "events.output.event_json": ["GET /events (20 events, memo on)", "GET /events (20 events, memo off)",
                                          "GET /events/:id (public)", "GET /events/:id (owner)"],
    }
    switches = {twin.name: twin for twin in TWINS}
    assert set(switches) <= set(serves), "a twin this benchmark does not measure"

    def switch(name, on):
        switches[name].by_hand_on = on

    def measure(request):
        request()  # warm
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            request()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        return cpu * 1000 / args.requests, args.requests / wall

    runs = {}  # (request, twin switched off or None) -> [(cpu ms, requests/s)]
    for round_number in range(args.rounds):
        for request_name, request in requests.items():
            configs = [None] + [name for name, names in serves.items() if request_name in names and name in switches]
            for name in configs if round_number % 2 == 0 else configs[::-1]:
                if name:
                    switch(name, False)
                try:
                    runs.setdefault((request_name, name), []).append(measure(request))
                finally:
                    if name:
                        switch(name, True)
    # Each twin alone, on a document or body of this run: less noise than a whole request.
    booking = collection("bookings").find_one({"event_id": hot})
    event = collection("events").find_one({"_id": hot})

    alone = {
        "bookings.serializers.booking_output": ((booking, event), {}),
        "notifications.services.booking_notice": ((booking, event), {}),
        "events.output.event_json": ((event,), {"owned": True}),
    }
    print("each twin alone: microseconds of CPU per call, by hand / by the serializer")
    for name, (call_args, kwargs) in alone.items():
        forms = {"by hand": switches[name].by_hand, "serializer": switches[name].serialize}
        figures = {}
        for form, fn in forms.items():
            samples = []
            for _ in range(5):
                started = time.process_time()
                for _ in range(2000):
                    fn(*call_args, **kwargs)
                samples.append((time.process_time() - started) * 1e6 / 2000)
            figures[form] = statistics.median(samples)
        print(f"{name}\t{figures['by hand']:.1f} us by hand\t{figures['serializer']:.1f} us by the serializer")

    print(f"{args.rounds} rounds of {args.requests} requests; median CPU ms per request and requests/s; "
          "'off' is the serializer doing that one twin's work")
    for request_name in requests:
        cpu, rate = (statistics.median(values) for values in zip(*runs[(request_name, None)]))
        print(f"{request_name}\tall twins on\t{cpu:.3f} ms CPU\t{rate:.0f} req/s")
        for (name_of_request, name), values in runs.items():
            if name_of_request != request_name or name is None:
                continue
            off_cpu, off_rate = (statistics.median(v) for v in zip(*values))
            ratios = [off[0] / on[0] for off, on in zip(values, runs[(request_name, None)])]
            print(f"{request_name}\t{name} off\t{off_cpu:.3f} ms CPU ({off_cpu - cpu:+.3f}; paired ratio median "
                  f"{statistics.median(ratios):.3f}, {min(ratios):.3f} to {max(ratios):.3f})\t{off_rate:.0f} req/s")


main()
