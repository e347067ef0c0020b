"""Claiming an offer (POST /bookings {holdId}, the holds API) and the seats the line is
owed: while anyone waits for a type, a plain booking or hold cannot take its seats."""

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import hold_expire, assert_seats_add_up, book
from tests.waitlist.test_line import entry_of


def test_the_offered_customer_books_the_held_seats(sold_out, in_line):
    event_id, (cancel, _) = sold_out(2, 1, price="20.00")
    waiting = in_line(event_id, 2)
    cancel()
    hold_id = entry_of(waiting)["hold_id"]

    response = waiting.post("/bookings", {"holdId": hold_id}, format="json")

    assert response.status_code == 201, response.content
    booking = response.json()
    assert (booking["qty"], booking["amount"], booking["status"]) == (2, "40.00", "CONFIRMED")
    entry = entry_of(waiting)
    assert (entry["state"], entry["hold_id"], entry["position"]) == ("BOOKED", None, None)
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["seats_held"], event["tickets_sold"]) == (0, 0, 3)
    # Booked: out of the line, so the customer may wait again.
    again = waiting.post(f"/events/{event_id}/waitlist", {"qty": 1}, format="json")
    assert again.status_code == 201 and again.json()["position"] == 1


def test_only_the_offered_customer_can_claim_and_the_hold_is_declined_by_leaving(sold_out, in_line, customer_client):
    event_id, (cancel,) = sold_out(1)
    waiting, behind = in_line(event_id), in_line(event_id)
    cancel()
    hold_id = entry_of(waiting)["hold_id"]
    assert customer_client.post("/bookings", {"holdId": hold_id}, format="json").status_code == 404
    assert behind.post("/bookings", {"holdId": hold_id}, format="json").status_code == 404
    # An offered hold is given back by leaving the line, not by DELETE /holds/:id.
    refused = waiting.delete(f"/holds/{hold_id}")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "hold_is_waitlist_offer"
    assert waiting.delete(f"/waitlist/{waiting.entry['id']}").status_code == 204
    assert entry_of(behind)["state"] == "OFFERED"
    assert waiting.post("/bookings", {"holdId": hold_id}, format="json").status_code == 404
    assert_seats_add_up(event_id)


def test_seats_owed_to_the_line_cannot_be_booked_or_held_by_anyone_else(sold_out, in_line, customer_client):
    event_id, (cancel, _) = sold_out(1, 1)
    pair = in_line(event_id, 2)
    cancel()  # one seat back: the pair does not fit, but the seat is theirs

    for response in (book(customer_client, event_id, 1), customer_client.post("/holds", {"eventId": event_id, "qty": 1}, format="json")):
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "seats_owed_to_waitlist"
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], entry_of(pair)["state"]) == (1, "WAITING")
    # Once nobody waits, the seat is on sale again.
    assert pair.delete(f"/waitlist/{pair.entry['id']}").status_code == 204
    assert book(customer_client, event_id, 1).status_code == 201
    assert_seats_add_up(event_id)


def test_a_hold_given_back_or_expired_goes_to_the_line(settings, create_event, client_for, make_user, in_line):
    event_id = create_event(publish=True, capacity=2, price="10.00")["id"]
    holders = [client_for(make_user()) for _ in range(2)]
    holds = [c.post("/holds", {"eventId": event_id, "qty": 1}, format="json").json()["id"] for c in holders]
    first, second = in_line(event_id), in_line(event_id)

    assert holders[0].delete(f"/holds/{holds[0]}").status_code == 204
    assert entry_of(first)["state"] == "OFFERED"

    # The other hold runs out (its expiry moved to now): the reconciler's expiry gives the seat to the next in line.
    hold_expire(holds[1], 0)
    done = bookings_reconcile(older_than_seconds=60)
    assert done["holds_expired"] == 1
    assert entry_of(second)["state"] == "OFFERED"
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["seats_held"]) == (0, 2)
