"""waitlist/migrations/0002_entries_from_events and bookings/migrations/0007_holds_from_events on
events written before the line and the holds had their own collections: each event's
`waitlist` array (WAITING, OFFERED with its hold, finished entries) becomes entries in line
order, its `holds` array live holds, both arrays empty, running them again changes nothing, and
the line and the holds then work through the API as if they had always been stored this way."""

import importlib
from types import SimpleNamespace

from django.db import connection

from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_seats_add_up, event_doc, holds_of, line_of

entries_migration = importlib.import_module("waitlist.migrations.0002_entries_from_events")
holds_migration = importlib.import_module("bookings.migrations.0007_holds_from_events")


def migrate():
    editor = SimpleNamespace(connection=connection)
    entries_migration.move_entries(None, editor)
    holds_migration.move_holds(None, editor)


def old_entry(entry_id, user, type_id, state, hold=None, qty=1):
    moment = now()
    return {"id": entry_id, "customer_id": user.pk, "type": type_id, "qty": qty, "at": moment, "state": state,
            "hold": hold, "offered_at": moment if hold else None, "notified": bool(hold)}


def test_the_embedded_line_moves_to_its_collection_in_order(sold_out, client_for, make_user):
    event_id, (_, cancel) = sold_out(1, 1)
    type_id = event_doc(event_id)["types"][0]["id"]
    offered, first, second, booked = (client_for(make_user()) for _ in range(4))
    moment = now()
    hold = {"id": "HLD-0900", "customer_id": offered.user.pk, "type": type_id, "qty": 1, "unit_price_cents": 1000,
            "expires_at": moment.replace(year=moment.year + 1), "at": moment, "entry": "WL-0901"}
    line = [
        old_entry("WL-0900", booked.user, type_id, "BOOKED"),
        old_entry("WL-0901", offered.user, type_id, "OFFERED", hold=hold["id"]),
        old_entry("WL-0902", first.user, type_id, "WAITING"),
        old_entry("WL-0903", second.user, type_id, "WAITING"),
    ]
    # As the code before this collection left it: the line inside the event, the offer's seats
    # (one cancelled booking's, here written by hand) held for it.
    collection("events").update_one(
        {"_id": event_id},
        {"$set": {"waitlist": line, "holds": [hold], "types.0.waitlist_waiting": 2},
         "$inc": {"seats_held": 1, "types.0.seats_held": 1, "tickets_sold": -1, "types.0.tickets_sold": -1,
                  "revenue_cents": -1000, "types.0.revenue_cents": -1000}},
    )
    collection("bookings").update_one({"_id": "BK-0001"}, {"$set": {"status": "CANCELLED", "cancelled_at": moment}})

    migrate()
    moved = line_of(event_id)
    assert [(e["id"], e["state"], e["seq"]) for e in moved] == [
        ("WL-0900", "BOOKED", 1), ("WL-0901", "OFFERED", 2), ("WL-0902", "WAITING", 3), ("WL-0903", "WAITING", 4),
    ]
    assert event_doc(event_id)["waitlist"] == [] and event_doc(event_id)["line_seq"] == 4
    assert event_doc(event_id)["holds"] == [] and [(h["id"], h["state"], h["entry"]) for h in holds_of(event_id)] == [
        ("HLD-0900", "LIVE", "WL-0901")
    ]
    migrate()
    assert line_of(event_id) == moved and len(holds_of(event_id)) == 1
    assert_seats_add_up(event_id)

    # The API sees the same line: places, the offer, the finished entry as history.
    assert [e["position"] for e in first.get("/waitlist/me").json()["results"]] == [1]
    assert [e["position"] for e in second.get("/waitlist/me").json()["results"]] == [2]
    (shown,) = offered.get("/waitlist/me").json()["results"]
    assert (shown["state"], shown["hold_id"]) == ("OFFERED", "HLD-0900")
    assert [e["state"] for e in booked.get("/waitlist/me").json()["results"]] == ["BOOKED"]
    # Still in line: joining again is refused; the offer is claimed; a freed seat goes to the first.
    again = first.post(f"/events/{event_id}/waitlist", {"qty": 1}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_in_waitlist"
    assert offered.post("/bookings", {"holdId": "HLD-0900"}, format="json").status_code == 201
    cancel()
    assert [e["state"] for e in first.get("/waitlist/me").json()["results"]] == ["OFFERED"]
    assert [e["position"] for e in second.get("/waitlist/me").json()["results"]] == [1]
    assert_seats_add_up(event_id)
