"""The waiting lines leave the event documents: each event's `waitlist` array becomes
documents of `waitlist_entries`, in the array's order (`seq` 1, 2, ...), and the event's
`line_seq` continues after them. Safe to run again: an entry already moved is kept as it
is, and an event's array is emptied only as it was read (events/migrations/0008 then
removes the field)."""

from django.db import migrations
from pymongo.errors import DuplicateKeyError

IN_LINE = ("WAITING", "OFFERED")


def entry_document(event_id, entry, seq):
    in_line = entry["state"] in IN_LINE
    return {
        "_id": entry["id"], "event_id": event_id, "customer_id": entry["customer_id"], "type": entry["type"],
        "qty": entry["qty"], "seq": seq, "at": entry["at"], "state": entry["state"], "hold": entry.get("hold"),
        "offered_at": entry.get("offered_at"), "notified": entry.get("notified", False),
        "line_key": f"{event_id}:{entry['customer_id']}" if in_line else entry["id"],
        "ended_at": None if in_line else entry.get("offered_at") or entry["at"],
    }


def move_entries(apps, schema_editor):
    database = schema_editor.connection.database
    events, entries = database["events"], database["waitlist_entries"]
    for doc in list(events.find({"waitlist.0": {"$exists": True}}, {"waitlist": 1, "line_seq": 1})):
        line = doc["waitlist"]
        while line:
            start = doc.get("line_seq") or 0
            for seq, entry in enumerate(line, start=start + 1):
                try:
                    entries.insert_one(entry_document(doc["_id"], entry, seq))
                except DuplicateKeyError:
                    pass  # moved by an earlier run
            moved = events.update_one(
                {"_id": doc["_id"], "waitlist": line}, {"$set": {"waitlist": []}, "$inc": {"line_seq": len(line)}}
            )
            if moved.modified_count:
                break
            doc = events.find_one({"_id": doc["_id"]}, {"waitlist": 1, "line_seq": 1}) or {}
            line = doc.get("waitlist") or []


class Migration(migrations.Migration):

    dependencies = [
        ("waitlist", "0001_initial"),
        ("events", "0007_waitlist_closed"),
    ]

    operations = [migrations.RunPython(move_entries, migrations.RunPython.noop)]
