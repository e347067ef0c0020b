"""CPU per booking and per public listing, in one process, for one source tree:
the request through Django's whole stack (DRF's test client: middleware, token
authentication, view, JSON), and the service alone (booking_create; the listing's
selector and JSON), without HTTP or ASGI. Run it for two trees in turn (paired) to
compare them; it prints figures and never passes or fails.

    .venv/bin/python devtools/services.py --mongo memory --redis -- sh -c '
      for round in 1 2 3; do
        for tree in /work/main .; do .venv/bin/python bench/bench_hotpath.py --tree $tree; done
      done'

CPU is this process's (time.process_time): the database server's is not in it.
MongoDB commands per request are counted with a PyMongo CommandListener (the token
authentication's user lookup included). EVENT_JSON_MEMO_SIZE=0 in the environment
turns the listings' kept JSON off (events/listing.py) to see what it buys.
"""

import argparse
import os
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent), help="the source tree to measure")
parser.add_argument("--bookings", type=int, default=400)
parser.add_argument("--listings", type=int, default=400)
args = parser.parse_args()
TREE = str(Path(args.tree).resolve())
sys.path.insert(0, TREE)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("MONGODB_NAME", "bench_hotpath")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
import django  # noqa: E402
from pymongo import monitoring  # noqa: E402


class Commands(monitoring.CommandListener):
    """Counts the MongoDB commands this process sends (round trips)."""

    count = 0

    def started(self, event):
        Commands.count += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


monitoring.register(Commands())  # before Django opens its client
django.setup()

from django.core.cache import cache  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import Role  # noqa: E402
from bookings.services import booking_create  # noqa: E402
from shared.mongo import collection  # noqa: E402
from tests.helpers import event_body, new_user, token_for  # noqa: E402

assert Path(sys.modules["bookings"].__file__).resolve().is_relative_to(TREE), "the tree's code is not the one imported"


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


def events(organizer, count, capacity=1_000_000):
    ids = []
    for n in range(count):
        body = event_body(title=f"Event {n}", capacity=capacity, description="x" * 200)
        event_id = organizer.post("/events", body, format="json").json()["id"]
        assert organizer.post(f"/events/{event_id}/publish").status_code == 200
        ids.append(event_id)
    return ids


def cpu_ms(fn, count):
    """(CPU ms, MongoDB commands) per call."""
    fn()  # warm: imports, caches, the first block of ids
    commands = Commands.count
    started = time.process_time()
    for _ in range(count):
        fn()
    return (time.process_time() - started) * 1000 / count, (Commands.count - commands) / count


def main():
    for name in ("events", "bookings", "counters", "idempotency_keys"):
        collection(name).delete_many({})
    cache.clear()
    organizer = client_for(new_user(Role.ORGANIZER))
    customer_user = new_user(Role.CUSTOMER)
    customer = client_for(customer_user)
    figures = {}
    hot = events(organizer, 20)[0]  # 20 published events: one full page
    anyone = APIClient()

    def listing():
        response = anyone.get("/events")
        assert response.status_code == 200 and len(response.json()["results"]) == 20

    figures["GET /events, 20 events (whole stack)"] = cpu_ms(listing, args.listings)

    def post_booking():
        response = customer.post("/bookings", {"eventId": hot, "qty": 1}, format="json")
        assert response.status_code == 201, response.content

    figures["POST /bookings (whole stack)"] = cpu_ms(post_booking, args.bookings)
    figures["booking_create (service)"] = cpu_ms(
        lambda: booking_create(customer=customer_user, event_id=hot, qty=1), args.bookings
    )
    figures["GET /events, 20 events, after the bookings (whole stack)"] = cpu_ms(listing, args.listings)
    events(organizer, 80)  # 100: the page is not the last one, the count is needed
    figures["GET /events, 100 events, page 1 (whole stack)"] = cpu_ms(listing, args.listings)
    head = os.popen(f"git -C {TREE} rev-parse --short HEAD").read().strip()
    memo = os.environ.get("EVENT_JSON_MEMO_SIZE", "default")
    for name, (ms, commands) in figures.items():
        print(f"{TREE} ({head}, EVENT_JSON_MEMO_SIZE={memo})\t{name}\t{ms:.2f} ms CPU\t{commands:.2f} MongoDB commands")


main()
