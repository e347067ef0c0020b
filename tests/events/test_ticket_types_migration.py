"""events/migrations/0003_default_ticket_types on data in the shape the code wrote
before ticket types (an event with one price and capacity, bookings without a type,
a seat marker in flight), then booked, cancelled and reconciled with today's code."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

from django.db import connection

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from events.models import Event
from tests.helpers import assert_invariant, book, event_doc, future

migration = importlib.import_module("events.migrations.0003_default_ticket_types")


def old_event(event_id, organizer, *, capacity, sold, price_cents, pending=(), added_fields=True):
    """An event document exactly as events.services.event_create wrote it before types, after `sold` seats;
    with `added_fields`, as 0002's AddField leaves it (`types: []`, `quota: None`)."""
    moment = now()
    pending = list(pending)
    in_flight = sum(marker["qty"] for marker in pending)
    collection("events").insert_one({
        "_id": event_id, "organizer_id": organizer.pk, "title": "Jazz", "title_key": "jazz", "description": "",
        "city": "Lyon", "city_key": "lyon", "venue": "Le Sucre", "tags": [], "starts_at": future(),
        "price_cents": price_cents, "capacity": capacity, "seats_available": capacity - sold - in_flight,
        "tickets_sold": sold + in_flight, "revenue_cents": (sold + in_flight) * price_cents, "status": "PUBLISHED",
        "pending": pending, "published_at": moment, "cancelled_at": None, "cancel_reason": "",
        "created_at": moment, "updated_at": moment,
        **({"types": [], "quota": None} if added_fields else {}),
    })


def old_booking(booking_id, event_id, customer, qty, price_cents):
    collection("bookings").insert_one({
        "_id": booking_id, "event_id": event_id, "customer_id": customer.pk, "qty": qty,
        "unit_price_cents": price_cents, "amount_cents": qty * price_cents, "status": "CONFIRMED",
        "cancelled_by_event": False, "created_at": now(), "cancelled_at": None,
        # as 0002's AddField leaves a booking made before types
        "ticket_type_id": "", "ticket_type_name": "",
    })


def migrate():
    migration.add_default_types(None, SimpleNamespace(connection=connection))


def test_old_events_get_one_default_type_holding_their_counters(organizer, customer, customer_client):
    stale = {"booking": "BK-0900", "qty": 2, "amount_cents": 2000, "at": now() - timedelta(minutes=5)}
    old_event("EVT-0900", organizer, capacity=10, sold=3, price_cents=1000, pending=[stale])
    old_booking("BK-0901", "EVT-0900", customer, 3, 1000)
    old_event("EVT-0901", organizer, capacity=5, sold=0, price_cents=0, added_fields=False)

    migrate()
    doc = event_doc("EVT-0900")
    [default] = doc["types"]
    assert default["name"] == "General admission" and default["id"].startswith("TT-")
    assert (default["price_cents"], default["capacity"], default["seats_available"], default["tickets_sold"], default["revenue_cents"]) == (1000, 10, 5, 5, 5000)
    assert doc["quota"] is None and doc["pending"] == [{**stale, "type": default["id"]}]
    booking = collection("bookings").find_one({"_id": "BK-0901"})
    assert (booking["ticket_type_id"], booking["ticket_type_name"]) == (default["id"], "General admission")
    assert event_doc("EVT-0901")["types"][0]["id"] != default["id"]

    # Again: nothing changes.
    before = [event_doc("EVT-0900"), event_doc("EVT-0901")]
    migrate()
    assert [event_doc("EVT-0900"), event_doc("EVT-0901")] == before

    # Today's code takes it from there: the dead request's seats come back to the type,
    # the brief's {eventId, qty} books the one type, the old booking cancels.
    assert bookings_reconcile() == {"restored": 1}
    assert book(customer_client, "EVT-0900", 2).status_code == 201
    assert customer_client.post("/bookings/BK-0901/cancel").status_code == 200
    event, rows = assert_invariant("EVT-0900")
    assert event["seats_available"] == 8 and len(rows) == 1
    # The ORM reads the migrated document (the admin does).
    assert [t.name for t in Event.objects.get(pk="EVT-0900").types] == ["General admission"]
