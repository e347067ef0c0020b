"""events/migrations/0005_holds on events written before holds: their types get zero
seats_held and waitlist_waiting, nothing else changes, and running it again changes nothing."""

import importlib
from types import SimpleNamespace

from django.db import connection

from shared.mongo import collection
from tests.helpers import assert_invariant, book, event_doc

migration = importlib.import_module("events.migrations.0005_holds")


def migrate():
    migration.fill_type_counters(None, SimpleNamespace(connection=connection))


def test_types_from_before_holds_get_zero_counters(create_event, customer_client):
    event_id = create_event(publish=True, capacity=6, price="10.00")["id"]
    book(customer_client, event_id, 2)
    # As the code before holds left it: no seats_held, no waitlist_waiting in the types.
    collection("events").update_one({"_id": event_id}, {"$unset": {"types.0.seats_held": "", "types.0.waitlist_waiting": ""}})
    before = event_doc(event_id)["types"][0]
    assert "seats_held" not in before

    migrate()
    after = event_doc(event_id)["types"][0]
    assert after == {**before, "seats_held": 0, "waitlist_waiting": 0}
    migrate()
    assert event_doc(event_id)["types"][0] == after
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 4 and len(rows) == 1
    assert customer_client.post("/holds", {"eventId": event_id, "qty": 4}, format="json").status_code == 201
    assert_invariant(event_id)
