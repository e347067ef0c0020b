"""A counter of waiting-list entries or holds that fell behind the ids in use (a restore from
a backup, a failover): a new entry, or an offer's hold, takes a fresh id and leaves the
other document alone (shared/ids.py)."""

from shared.mongo import collection
from tests.bookings.test_id_counters import move_counters_back
from tests.helpers import assert_seats_add_up
from tests.waitlist.test_line import entry_of


def test_an_entry_whose_id_is_taken_takes_a_fresh_one_and_keeps_its_place(sold_out, in_line):
    event_id, _ = sold_out(1)
    first = in_line(event_id)
    move_counters_back("WL")
    second = in_line(event_id, 2)
    assert second.entry["id"] != first.entry["id"]
    assert (entry_of(first)["position"], entry_of(first)["qty"]) == (1, 1)
    assert (entry_of(second)["position"], entry_of(second)["qty"]) == (2, 2)
    stored = collection("waitlist_entries").find_one({"_id": first.entry["id"]})
    assert (stored["customer_id"], stored["state"]) == (first.user.pk, "WAITING")
    assert_seats_add_up(event_id)


def test_an_offer_whose_hold_id_is_taken_gets_a_fresh_hold_for_its_customer(sold_out, in_line, create_event, customer_client):
    other_event = create_event(publish=True, capacity=5, price="10.00")["id"]
    theirs = customer_client.post("/holds", {"eventId": other_event, "qty": 2}, format="json").json()
    event_id, (cancel,) = sold_out(1)
    waiting = in_line(event_id)
    move_counters_back("HLD")
    cancel()  # the seat goes to the line: an offer, its hold under a taken id at first
    entry = entry_of(waiting)
    assert entry["state"] == "OFFERED" and entry["hold_id"] not in (None, theirs["id"])
    other = collection("holds").find_one({"_id": theirs["id"]})
    assert (other["state"], other["customer_id"], other["event_id"]) == ("LIVE", customer_client.user.pk, other_event)
    assert_seats_add_up(event_id)
    assert_seats_add_up(other_event)
    booked = waiting.post("/bookings", {"holdId": entry["hold_id"]}, format="json")
    assert booked.status_code == 201, booked.content
    assert entry_of(waiting)["state"] == "BOOKED"
    assert_seats_add_up(event_id)
