"""Data migration: every event made before ticket types gets one type, "General
admission", holding its price, capacity and counters; its bookings and in-flight
seat markers name that type. Runs on the local server and on MongoDB alike: only
find, find_one_and_update / update_one / update_many with $set and $inc, and
filters by equality. Safe to run again, and beside running servers: each event is
converted by one update conditional on the counters and markers it was read with.

"Before ticket types" is either shape: no `types` at all, or the `types: []` and
`ticket_type_id: ""` that 0002's AddField fills into existing documents. It runs
before 0004 adds `version`, so it bumps none."""

from django.db import migrations

DEFAULT_TYPE_NAME = "General admission"


def _next_type_id(db):
    # As shared.mongo.next_sequence (kept here: a migration must not change
    # when the app's code does): the "before" image of an atomic increment.
    counters = db["counters"]
    while True:
        before = counters.find_one_and_update({"_id": "TT"}, {"$inc": {"value": 1}})
        if before is not None:
            return f"TT-{before['value'] + 1:04d}"
        try:
            counters.update_one({"_id": "TT"}, {"$setOnInsert": {"value": 0}}, upsert=True)
        except Exception:  # DuplicateKeyError: another process made it
            pass


def _convert(db, event_id):
    events = db["events"]
    type_id = None
    while True:
        doc = events.find_one({"_id": event_id})
        if doc is None or doc.get("types"):
            return
        type_id = type_id or _next_type_id(db)
        counters = {name: doc[name] for name in ("seats_available", "tickets_sold", "revenue_cents")}
        default = {
            "id": type_id,
            "name": DEFAULT_TYPE_NAME,
            "price_cents": doc["price_cents"],
            "capacity": doc["capacity"],
            **counters,
            "sales_start": None,
            "sales_end": None,
            "max_per_booking": None,
            "sort_order": 0,
        }
        pending = [{**marker, "type": type_id} for marker in doc.get("pending") or []]
        done = events.update_one(
            {"_id": event_id, "types": doc["types"] if "types" in doc else None, **counters,
             "pending": doc.get("pending") or []},
            {"$set": {"types": [default], "quota": None, "pending": pending}},
        )
        if done.modified_count:
            return


def add_default_types(apps, schema_editor):
    db = schema_editor.connection.database
    for doc in list(db["events"].find({}, {"types": 1})):
        if not doc.get("types"):
            _convert(db, doc["_id"])
    # Bookings made before types (also of events converted by an earlier, interrupted run).
    for doc in db["events"].find({}, {"types": 1}):
        types = doc.get("types") or []
        if len(types) == 1:
            db["bookings"].update_many(
                {"event_id": doc["_id"], "ticket_type_id": {"$in": [None, ""]}},
                {"$set": {"ticket_type_id": types[0]["id"], "ticket_type_name": types[0]["name"]}},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_ticket_types"),
        ("bookings", "0002_ticket_types"),
    ]

    operations = [migrations.RunPython(add_default_types, migrations.RunPython.noop)]
