"""What the rest of the code relies on from the database, checked on the server in use."""

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from bson import ObjectId
from django.conf import settings as django_settings
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bookings.models import Booking
from shared.ids import next_public_id
from shared.mongo import collection
from shared.timeutil import now
from events.models import Event


def test_server_reports_mongodb_6_or_later():
    info = collection("events").database.client.admin.command("hello")
    assert info["maxWireVersion"] >= 17


def test_a_document_written_with_pymongo_reads_back_through_the_orm_unchanged(organizer, customer):
    starts = now() + timedelta(days=30)
    event_doc = {
        "_id": "EVT-0042", "organizer_id": organizer.pk, "title": "Día de Música", "description": "ünïcode",
        "city": "Lyon", "city_key": "lyon", "venue": "Hall", "tags": ["jazz", "live"], "starts_at": starts,
        "price_cents": 1250, "capacity": 100, "seats_available": 97, "tickets_sold": 3, "revenue_cents": 3750,
        "status": "PUBLISHED", "pending": [{"booking": "BK-0001", "qty": 3, "amount_cents": 3750, "at": starts}],
        "published_at": starts, "cancelled_at": None, "cancel_reason": "", "created_at": starts, "updated_at": starts,
    }
    collection("events").insert_one(event_doc)
    event = Event.objects.get(pk="EVT-0042")
    assert (event.title, event.description, event.city, event.tags) == ("Día de Música", "ünïcode", "Lyon", ["jazz", "live"])
    assert event.organizer_id == organizer.pk and event.organizer.email == organizer.email
    assert (event.price_cents, event.capacity, event.seats_available, event.tickets_sold, event.revenue_cents) == (1250, 100, 97, 3, 3750)
    assert event.starts_at == starts and event.status == "PUBLISHED"
    assert event.pending[0].booking == "BK-0001" and event.pending[0].qty == 3

    collection("bookings").insert_one({
        "_id": "BK-0001", "event_id": "EVT-0042", "customer_id": customer.pk, "qty": 3, "unit_price_cents": 1250,
        "amount_cents": 3750, "status": "CONFIRMED", "cancelled_by_event": False, "created_at": starts, "cancelled_at": None,
    })
    booking = Booking.objects.get(pk="BK-0001")
    assert booking.event_id == "EVT-0042" and booking.customer_id == customer.pk
    assert (booking.qty, booking.amount_cents, booking.status) == (3, 3750, "CONFIRMED")
    assert [b.pk for b in Booking.objects.filter(event__city="Lyon")] == ["BK-0001"]


def test_conditional_update_is_atomic_under_racing_threads():
    coll = collection("race_probe")
    coll.insert_one({"_id": "seats", "n": 50})
    wins = []

    def take():
        for _ in range(10):
            if coll.find_one_and_update({"_id": "seats", "n": {"$gte": 1}}, {"$inc": {"n": -1}}, return_document=ReturnDocument.AFTER):
                wins.append(1)

    threads = [threading.Thread(target=take) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert coll.find_one({"_id": "seats"})["n"] == 0
        assert len(wins) == 50
    finally:
        coll.drop()


def test_unique_index_is_enforced(organizer):
    collection("users").insert_one({"_id": ObjectId(), "email": "dup@example.com"})
    with pytest.raises(DuplicateKeyError):
        collection("users").insert_one({"_id": ObjectId(), "email": "dup@example.com"})


def test_public_ids_never_repeat_across_threads():
    ids = []
    threads = [threading.Thread(target=lambda: ids.extend(next_public_id("EVT") for _ in range(25))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 200
    assert sorted(ids)[0] == "EVT-0001" and sorted(ids)[-1] == "EVT-0200"


def test_production_refuses_the_default_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env["DEBUG"] = "0"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    env["SECRET_KEY"] = "a-real-secret-for-this-check-only-0123456789"
    env["TICKET_SIGNING_KEY"] = django_settings.TICKET_SIGNING_KEY  # required with DEBUG off too (tests/tickets/test_key_settings.py)
    assert subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "CRITICAL"], env=env, capture_output=True, timeout=120).returncode == 0


def test_writes_wait_for_a_journaled_majority_and_reads_see_only_majority_data():
    """docs/operations.md, "Write concern": every collection of ours carries them, and the
    server in use accepts them (a write and a read with them go through)."""
    bookings = collection("bookings")
    assert bookings.write_concern.document == {"w": "majority", "j": True}
    assert bookings.read_concern.level == "majority"
    bookings.insert_one({"_id": "BK-9999", "status": "VOID"})
    assert bookings.find_one({"_id": "BK-9999"})["status"] == "VOID"
