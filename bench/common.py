"""What the real-time benchmarks share (import after setup_django): seeding an empty
database, users made without a password (their tokens are minted directly) and one
published event; and the percentiles they print."""

import os
import statistics
import uuid
from datetime import timedelta

from accounts.models import Role, User
from shared.mongo import collection
from shared.timeutil import now
from events.services import event_create, event_publish


def clear():
    for name in ("users", "events", "bookings", "idempotency_keys", "counters", "waitlist_entries", "holds"):
        collection(name).delete_many({})


def user(role):
    person = User(name=role.title(), email=f"{role.lower()}-{uuid.uuid4().hex[:10]}@example.com", role=role)
    person.set_unusable_password()
    person.save()
    return person


def published_event(capacity):
    """(organizer, event id): a new organizer's published event of `capacity` seats at 15.00."""
    organizer = user(Role.ORGANIZER)
    data = {"title": "Bench night", "city": "Lyon", "venue": "Hall", "starts_at": now() + timedelta(days=30),
            "price_cents": 1500, "capacity": capacity}
    event_id = event_create(organizer=organizer, data=data)["_id"]
    event_publish(event_id=event_id, actor=organizer)
    return organizer, event_id


def percentiles(values):
    """{"p50", "p99", "max", "min"} of `values` (seconds), in milliseconds."""
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(len(values) * q))] * 1000  # noqa: E731
    return {"p50": statistics.median(values) * 1000, "p99": pick(0.99), "max": values[-1] * 1000, "min": values[0] * 1000}


FANOUTS = ["ours", "socketio", "channels"]  # REALTIME_FANOUT values (notifications/realtime.py)


def cpu_seconds(server):
    """User + system CPU seconds a server process (tests.servers.DaphneServer) has used."""
    fields = open(f"/proc/{server.proc.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
