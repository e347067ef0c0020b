"""The hot event: what each operation costs on one event with a long waiting line and many live
holds, against the same operation on an empty event in the same run.

    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_hot_event.py \
        [--line 10000] [--holds 5000] [--repeat 40] [--checkpoints 0,1000,5000,10000]
    .venv/bin/python devtools/services.py --redis -- .venv/bin/python bench/bench_hot_event.py --only-line 100000

Runs in-process through the API (Django's test client with a bearer token: the middleware,
the view, the services, the database), in a database of its own (`bench_hot_event`). Two
events with three ticket types each: on the hot one, type "Held" carries the live holds (one
seat each, one customer each), type "Sold out" the waiting line (one seat each), and type
"Open" keeps seats on sale, so a booking and a hold can be measured on the hot event too. The
empty event is the same without holds or line. At each checkpoint of the line's growth (and of the holds'),
it times, alternating hot and empty: join and leave the line (a new customer each time), GET
/events/:id, GET /waitlist/me (the customer at the back of the line; on the empty event, one
with an entry on it), book and cancel, hold and release (type "Open"). Prints medians, the
hot/empty ratios and the largest event document; never passes or fails.
`--only-line N`: N customers join one line (through the service, in line order) and the run
reports errors, the time per 1,000 joins, and the event document's size at the end.
"""

import argparse
import statistics
import sys
import time
import uuid
from datetime import timedelta

from setup_django import setup_django

setup_django("bench_hot_event")

import bson  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402
from bookings.services import booking_create  # noqa: E402
from bookings.services.holds import hold_create  # noqa: E402
from shared.mongo import collection  # noqa: E402
from shared.timeutil import now  # noqa: E402
from events.services import event_create, event_publish  # noqa: E402
from waitlist.services import waitlist_join  # noqa: E402

COLLECTIONS = ("users", "events", "bookings", "idempotency_keys", "counters", "waitlist_entries", "holds")


def clear():
    # The declared indexes, as `make run` and a deployment have them (migrate creates them once).
    call_command("migrate", verbosity=0)
    for name in COLLECTIONS:
        collection(name).delete_many({})


def customers(count):
    """`count` new customers, made in bulk (no password: nothing here logs in)."""
    made = []
    for start in range(0, count, 1000):
        batch = [
            User(name="Customer", email=f"c-{uuid.uuid4().hex[:12]}@example.com", role=Role.CUSTOMER)
            for _ in range(min(1000, count - start))
        ]
        for person in batch:
            person.set_unusable_password()
        made += User.objects.bulk_create(batch)
    return made


def bench_event(organizer, open_capacity, held_capacity=1):
    """(event id, [type ids]) of a published event whose types are "Sold out" (one seat),
    "Open" and "Held"."""
    data = {
        "title": "Bench night", "city": "Lyon", "venue": "Hall", "starts_at": now() + timedelta(days=30),
        "types": [{"name": "Sold out", "price_cents": 1500, "capacity": 1},
                  {"name": "Open", "price_cents": 1500, "capacity": open_capacity},
                  {"name": "Held", "price_cents": 1500, "capacity": held_capacity}],
    }
    event = event_create(organizer=organizer, data=data)
    event_publish(event_id=event["_id"], actor=organizer)
    doc = collection("events").find_one({"_id": event["_id"]})
    return event["_id"], [t["id"] for t in doc["types"]]


def client_for(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {user_issue_tokens(user=user)['access']}", HTTP_HOST="localhost")


def timed(call):
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code} {response.content[:300]!r}")
    return elapsed, response


def measure(event, repeat, spare):
    """{operation: [seconds]} on one event; `spare` supplies fresh customers."""
    times = {name: [] for name in ("join", "leave", "GET event", "GET /waitlist/me", "book", "cancel", "hold", "release")}
    event_id, sold_out, open_type = event["id"], event["sold_out"], event["open"]
    for _ in range(repeat):
        joiner = client_for(spare.pop())
        took, response = timed(lambda: joiner.post(f"/events/{event_id}/waitlist", {"qty": 1, "ticketTypeId": sold_out},
                                                   content_type="application/json"))
        times["join"].append(took)
        entry_id = response.json()["id"]
        times["leave"].append(timed(lambda: joiner.delete(f"/waitlist/{entry_id}"))[0])
        times["GET event"].append(timed(lambda: event["reader"].get(f"/events/{event_id}"))[0])
        times["GET /waitlist/me"].append(timed(lambda: event["last"].get("/waitlist/me"))[0])
        buyer = client_for(spare.pop())
        took, response = timed(lambda: buyer.post("/bookings", {"eventId": event_id, "qty": 1, "ticketTypeId": open_type},
                                                  content_type="application/json"))
        times["book"].append(took)
        booking_id = response.json()["id"]
        times["cancel"].append(timed(lambda: buyer.post(f"/bookings/{booking_id}/cancel"))[0])
        took, response = timed(lambda: buyer.post("/holds", {"eventId": event_id, "qty": 1, "ticketTypeId": open_type},
                                                  content_type="application/json"))
        times["hold"].append(took)
        hold_id = response.json()["id"]
        times["release"].append(timed(lambda: buyer.delete(f"/holds/{hold_id}"))[0])
    return times


def largest_event_document():
    return max(len(bson.encode(doc)) for doc in collection("events").find({}))


def both(hot, empty, repeat, spare):
    """measure() on both events, one round at a time in turn, so a drift in machine load hits both."""
    hot_times, empty_times = measure(hot, 1, spare), measure(empty, 1, spare)
    for _ in range(repeat - 1):
        for event, times in ((hot, hot_times), (empty, empty_times)):
            for name, values in measure(event, 1, spare).items():
                times[name] += values
    return hot_times, empty_times


def report(label, hot, empty, line, holds):
    print(f"\n{label}: {line:,} in line, {holds:,} live holds on the hot event; "
          f"largest events document {largest_event_document() / 1024:.1f} KiB")
    print(f"{'operation':<20}{'hot ms':>10}{'empty ms':>10}{'ratio':>8}")
    rows = []
    for name in hot:
        h, e = statistics.median(hot[name]) * 1000, statistics.median(empty[name]) * 1000
        rows.append((name, h, e))
        print(f"{name:<20}{h:>10.2f}{e:>10.2f}{h / e:>8.2f}")
    sys.stdout.flush()
    return rows


def grow_holds(event_id, type_id, people, target, have):
    for person in people[have:target]:
        hold_create(customer=person, event_id=event_id, qty=1, ticket_type_id=type_id)
    return target


def grow_line(event_id, type_id, people, target, have):
    for person in people[have:target]:
        waitlist_join(customer=person, event_id=event_id, qty=1, ticket_type_id=type_id)
    return target


def run(args):
    clear()
    checkpoints = sorted({int(n) for n in args.checkpoints.split(",")} | {args.line})
    hold_points = sorted({int(n) for n in args.hold_checkpoints.split(",")} | {args.holds})
    organizer = User(name="Org", email=f"o-{uuid.uuid4().hex[:10]}@example.com", role=Role.ORGANIZER)
    organizer.set_unusable_password()
    organizer.save()
    repeat = args.repeat
    rounds = len(checkpoints) + len(hold_points)
    print(f"seeding {args.holds + args.line + 2 * repeat * 2 * rounds + 2:,} customers...", flush=True)
    start = time.perf_counter()
    people = customers(args.holds + args.line + 4 * repeat * rounds + 2)
    print(f"  {time.perf_counter() - start:.0f} s", flush=True)
    holders, waiting = people[: args.holds], people[args.holds: args.holds + args.line]
    spare = people[args.holds + args.line:]
    open_seats = 10 * repeat * rounds + 10

    hot_id, (hot_sold, hot_open, hot_held) = bench_event(organizer, open_seats, args.holds)
    empty_id, (empty_sold, empty_open, _) = bench_event(organizer, open_seats)
    # Both sold-out types: one seat booked; on the empty event, one customer waits (GET /waitlist/me reads it).
    for event_id, type_id in ((hot_id, hot_sold), (empty_id, empty_sold)):
        booking_create(customer=spare.pop(), event_id=event_id, qty=1, ticket_type_id=type_id)
    reader = client_for(organizer)
    empty_waiter = spare.pop()
    waitlist_join(customer=empty_waiter, event_id=empty_id, qty=1, ticket_type_id=empty_sold)
    hot = {"id": hot_id, "sold_out": hot_sold, "open": hot_open, "reader": reader}
    empty = {"id": empty_id, "sold_out": empty_sold, "open": empty_open, "reader": reader, "last": client_for(empty_waiter)}

    curve = []
    # Live holds first (of type "Held"), then the line (of type "Sold out"). Until someone waits
    # on the hot event, GET /waitlist/me reads the empty event's waiter there too.
    have = 0
    hot["last"] = empty["last"]
    for target in hold_points:
        start = time.perf_counter()
        have = grow_holds(hot_id, hot_held, holders, target, have)
        seeded = time.perf_counter() - start
        rows = report(f"holds {target:,} (seeded in {seeded:.0f} s)", *both(hot, empty, repeat, spare), 0, target)
        curve.append(("holds", target, rows))
    in_line = 0
    for target in checkpoints:
        if target == 0:
            continue
        start = time.perf_counter()
        in_line = grow_line(hot_id, hot_sold, waiting, target, in_line)
        seeded = time.perf_counter() - start
        hot["last"] = client_for(waiting[in_line - 1])
        rows = report(f"line {target:,} (seeded in {seeded:.0f} s, {seeded / max(target, 1) * 1000:.1f} ms/join)",
                      *both(hot, empty, repeat, spare), target, args.holds)
        curve.append(("line", target, rows))
    print("\ncurve (operation: hot ms at each checkpoint):")
    for kind, target, rows in curve:
        print(f"  {kind} {target:>7,}: " + ", ".join(f"{name} {h:.1f}" for name, h, _ in rows))


def only_line(count):
    clear()
    organizer = User(name="Org", email=f"o-{uuid.uuid4().hex[:10]}@example.com", role=Role.ORGANIZER)
    organizer.set_unusable_password()
    organizer.save()
    event_id, (sold_out, _, _) = bench_event(organizer, 1)
    people = customers(count + 1)
    booking_create(customer=people.pop(), event_id=event_id, qty=1, ticket_type_id=sold_out)
    errors = 0
    start = last = time.perf_counter()
    for n, person in enumerate(people, start=1):
        try:
            waitlist_join(customer=person, event_id=event_id, qty=1, ticket_type_id=sold_out)
        except Exception as exc:  # noqa: BLE001 - counted and shown
            errors += 1
            if errors <= 5:
                print(f"join {n}: {exc!r}")
        if n % 10_000 == 0:
            moment = time.perf_counter()
            print(f"{n:>7,} in line: {(moment - last) / 10:.2f} ms/join over the last 10,000; "
                  f"event document {largest_event_document() / 1024:.1f} KiB", flush=True)
            last = moment
    total = time.perf_counter() - start
    waiting = collection("waitlist_entries").count_documents({"event_id": event_id, "state": "WAITING"})
    print(f"{count:,} joins in {total:.0f} s ({total / count * 1000:.2f} ms each), {errors} errors, {waiting:,} WAITING; "
          f"largest events document {largest_event_document() / 1024:.1f} KiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--line", type=int, default=10_000)
    parser.add_argument("--holds", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=40, help="timed rounds of each operation per checkpoint and event")
    parser.add_argument("--checkpoints", default="0,1000,5000", help="line sizes measured on the way (plus --line)")
    parser.add_argument("--hold-checkpoints", default="0,1000", help="live-hold counts measured on the way (plus --holds)")
    parser.add_argument("--only-line", type=int, default=0, help="only: this many customers join one line")
    args = parser.parse_args()
    if args.only_line:
        only_line(args.only_line)
    else:
        run(args)


if __name__ == "__main__":
    main()
