"""The events' JSON on the hot paths (events/serializers.py) is exactly what the output
serializers, which the OpenAPI schema describes, give: for many varied documents,
as built and as read back from the database."""

import json
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bson import ObjectId
from rest_framework.renderers import JSONRenderer

from shared.mongo import collection
from shared.timeutil import now
from events.output import event_json
from events.output import EventOutput, OwnedEventOutput
from events.store import NO_MARKERS, event_insert

STATUSES = ["DRAFT", "PUBLISHED", "CANCELLED"]
CENTS = [0, 1, 5, 99, 100, 1250, 9999, 123456789]
TAGS = [[], ["jazz"], ["jazz", "live", "été"], ["a-b-c"] * 3]


def moment(rng, *, null=False):
    if null and rng.random() < 0.3:
        return None
    base = now() + timedelta(days=rng.randint(-400, 400), seconds=rng.randint(0, 86399), milliseconds=rng.randint(0, 999))
    # Mostly UTC as the database returns it; sometimes another zone or a whole second.
    if rng.random() < 0.2:
        base = base.astimezone(ZoneInfo("Europe/Paris"))
    if rng.random() < 0.2:
        base = base.replace(microsecond=0)
    return base


def ticket_type(rng, number):
    capacity = rng.randint(1, 500)
    sold = rng.randint(0, capacity)
    return {
        "id": f"TT-{number:04d}",
        "name": rng.choice(["General admission", "VIP", "Balcon « côté jardin »", ""]),
        "price_cents": rng.choice(CENTS),
        "capacity": capacity,
        "seats_available": capacity - sold,
        "tickets_sold": sold,
        "revenue_cents": sold * rng.choice(CENTS),
        "sales_start": moment(rng, null=True),
        "sales_end": moment(rng, null=True),
        "max_per_booking": rng.choice([None, 1, 2, 10]),
        "sort_order": rng.randint(-1000, 1000),
    }


def event_document(rng, number):
    types = [ticket_type(rng, number * 10 + index) for index in range(rng.randint(0, 4))]
    capacity = sum(t["capacity"] for t in types) or rng.randint(1, 100)
    status = rng.choice(STATUSES)
    return {
        "_id": f"EVT-{number:04d}",
        "title": rng.choice(["Jazz Night", "Opera (Gala)", "Ünïcødé ✓", "x" * 200]),
        "title_key": "jazz night",
        "description": rng.choice(["", "Live quartet", "line\nbreak"]),
        "city": rng.choice(["Lyon", "PARIS"]),
        "city_key": "lyon",
        "venue": rng.choice(["Le Sucre", ""]),
        "tags": rng.choice(TAGS),
        "starts_at": moment(rng, null=True),
        "price_cents": min((t["price_cents"] for t in types), default=rng.choice(CENTS)),
        "capacity": capacity,
        "quota": rng.choice([None, capacity]),
        # Overselling never happens, but a negative count must still show as the serializer shows it.
        "seats_available": rng.randint(-2, capacity),
        "tickets_sold": rng.randint(0, capacity),
        "revenue_cents": rng.choice(CENTS),
        "types": types,
        "status": status,
        "organizer_id": ObjectId(),
        "published_at": moment(rng, null=status == "DRAFT") if status != "DRAFT" else None,
        "cancelled_at": moment(rng) if status == "CANCELLED" else None,
        "cancel_reason": rng.choice(["", "Storm"]) if status == "CANCELLED" else "",
        "created_at": moment(rng),
        "updated_at": moment(rng),
        "pending": [],
    }


def assert_same(doc):
    for serializer, owned in ((EventOutput, False), (OwnedEventOutput, True)):
        expected = serializer(doc).data
        fast = event_json(doc, owned=owned)
        assert fast == expected, doc["_id"]
        # Same keys in the same order: the same bytes on the wire.
        assert JSONRenderer().render(fast) == JSONRenderer().render(expected)


def test_the_fast_json_is_the_serializers_for_varied_documents():
    rng = random.Random(11)
    docs = [event_document(rng, number) for number in range(1, 401)]
    assert {doc["status"] for doc in docs} == set(STATUSES)
    assert {len(doc["types"]) for doc in docs} == {0, 1, 2, 3, 4}
    for doc in docs:
        assert_same(doc)


def test_the_fast_json_is_the_serializers_for_documents_read_back():
    rng = random.Random(12)
    for number in range(1, 101):
        doc = event_document(rng, number)
        del doc["pending"]
        event_insert(doc)
    stored = list(collection("events").find({}, NO_MARKERS))
    assert len(stored) == 100
    for doc in stored:
        assert_same(doc)
    # What the listing shows, as JSON, for a naive datetime too (DRF makes it aware in UTC).
    naive = {**stored[0], "created_at": datetime(2030, 5, 1, 20, 0, 0, 123000)}
    assert_same(naive)
    assert json.loads(JSONRenderer().render(event_json(naive)))["created_at"] == "2030-05-01T20:00:00.123000Z"
    assert stored[0]["created_at"].tzinfo is not None and stored[0]["created_at"].utcoffset() == UTC.utcoffset(None)
