"""Holds leave the event documents: each event's `holds` array becomes LIVE documents of the
`holds` collection (their seats stay counted in the event's `seats_held`). Safe to run again:
a hold already moved is kept as it is, and an event's array is emptied only as it was read
(events/migrations/0009 then removes the field)."""

from django.db import migrations
from pymongo.errors import DuplicateKeyError


def hold_document(event_id, hold):
    return {
        "_id": hold["id"], "event_id": event_id, "customer_id": hold["customer_id"], "type": hold["type"],
        "qty": hold["qty"], "unit_price_cents": hold["unit_price_cents"], "expires_at": hold["expires_at"],
        "at": hold["at"], "entry": hold.get("entry"), "state": "LIVE", "ended_at": None, "booking": None,
    }


def move_holds(apps, schema_editor):
    database = schema_editor.connection.database
    events, holds = database["events"], database["holds"]
    for doc in list(events.find({"holds.0": {"$exists": True}}, {"holds": 1})):
        held = doc["holds"]
        while held:
            for hold in held:
                try:
                    holds.insert_one(hold_document(doc["_id"], hold))
                except DuplicateKeyError:
                    pass  # moved by an earlier run
            if events.update_one({"_id": doc["_id"], "holds": held}, {"$set": {"holds": []}}).modified_count:
                break
            held = (events.find_one({"_id": doc["_id"]}, {"holds": 1}) or {}).get("holds") or []


class Migration(migrations.Migration):

    dependencies = [
        ("bookings", "0006_hold"),
        ("events", "0008_waitlist_moved"),
    ]

    operations = [migrations.RunPython(move_holds, migrations.RunPython.noop)]
