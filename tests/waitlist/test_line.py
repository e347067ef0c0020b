"""Joining, leaving and the order of the line, through the API: freed seats go to the first
waiting entry whose qty fits, as a hold offered to that customer."""

import time

from bookings.services import bookings_reconcile
from bookings.models import Hold
from events.models import Event
from waitlist.models import Entry
from tests.helpers import holds_of, assert_seats_add_up, event_doc


def join(client, event_id, qty=1, **body):
    return client.post(f"/events/{event_id}/waitlist", {"qty": qty, **body}, format="json")


def mine(client):
    return {entry["id"]: entry for entry in client.get("/waitlist/me").json()["results"]}


def entry_of(client):
    return mine(client)[client.entry["id"]]


def test_a_customer_joins_a_sold_out_event_and_sees_their_place(sold_out, customer_client, in_line, organizer_client):
    event_id, _ = sold_out(2)
    first = in_line(event_id, 2)
    response = join(customer_client, event_id, 1)

    assert response.status_code == 201
    entry = response.json()
    assert entry["id"].startswith("WL-") and entry["event_id"] == event_id
    assert (entry["qty"], entry["position"], entry["state"], entry["hold_id"]) == (1, 2, "WAITING", None)
    assert first.entry["position"] == 1
    assert mine(customer_client)[entry["id"]]["position"] == 2
    (shown,) = organizer_client.get("/events/me").json()["results"]
    assert shown["waitlist_waiting"] == 2 and shown["types"][0]["waitlist_waiting"] == 2
    assert_seats_add_up(event_id)


def test_refusals(sold_out, create_event, customer_client, organizer_client, in_line):
    event_id, _ = sold_out(2)
    open_event = create_event(publish=True, capacity=5)["id"]
    draft = create_event()["id"]

    first = join(customer_client, event_id, 1)
    assert first.status_code == 201, first.content
    again = join(customer_client, event_id, 1)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_in_waitlist"
    available = join(customer_client, open_event, 2)
    assert available.status_code == 409
    assert available.json()["error"]["code"] == "seats_available" and available.json()["error"]["seats_available"] == 5
    assert join(customer_client, draft, 1).status_code == 404
    assert join(customer_client, "EVT-9999", 1).status_code == 404
    assert join(organizer_client, event_id, 1).status_code == 403
    for body in ({"qty": 0}, {"qty": "1"}, {"qty": 11}, {"qty": 1, "ticketTypeId": "nope"}, {"qty": 1, "eventId": event_id}):
        response = customer_client.post(f"/events/{event_id}/waitlist", body, format="json")
        assert response.status_code == 400, body
    # More seats than are left: a place in line, though some are on sale.
    assert join(customer_client, open_event, 6).status_code == 201
    assert_seats_add_up(event_id)
    assert_seats_add_up(open_event)


def test_a_cancelled_booking_is_offered_to_the_first_in_line(sold_out, in_line):
    event_id, (cancel_first, _) = sold_out(1, 1, price="25.00")
    first, second = in_line(event_id, 1), in_line(event_id, 1)

    cancel_first()

    offered = entry_of(first)
    assert offered["state"] == "OFFERED" and offered["position"] is None
    assert offered["hold_id"].startswith("HLD-") and offered["hold_expires_at"]
    assert entry_of(second)["position"] == 1 and entry_of(second)["state"] == "WAITING"
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["seats_held"]) == (0, 1)
    (hold,) = holds_of(event_id)
    assert (hold["id"], hold["entry"], hold["qty"], hold["unit_price_cents"]) == (offered["hold_id"], offered["id"], 1, 2500)
    assert hold["customer_id"] == first.user.pk


def test_the_first_entry_that_fits_gets_the_seats_and_a_larger_one_keeps_its_place(sold_out, in_line):
    event_id, (cancel_one, cancel_two, _) = sold_out(1, 2, 1)
    large, small, last = in_line(event_id, 2), in_line(event_id, 1), in_line(event_id, 1)

    cancel_one()  # 1 seat: the pair does not fit; the next fitting entry gets it
    assert [entry_of(c)["state"] for c in (large, small, last)] == ["WAITING", "OFFERED", "WAITING"]
    assert [entry_of(c)["position"] for c in (large, last)] == [1, 2]

    cancel_two()  # 2 seats: the pair, first in line, fits now; the single behind it waits
    assert [entry_of(c)["state"] for c in (large, small, last)] == ["OFFERED", "OFFERED", "WAITING"]
    assert entry_of(last)["position"] == 1
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["seats_held"]) == (0, 3)


def test_a_seat_goes_to_the_first_entry_that_fits_past_the_first_pages_of_the_line(sold_out, in_line):
    """The look for a fitting entry reads the line in pages (waitlist/offers.py): the first
    single behind 20 pairs is found, and the pairs keep their places."""
    event_id, (cancel_one, _) = sold_out(1, 1)
    pairs = [in_line(event_id, 2) for _ in range(20)]
    single, behind = in_line(event_id, 1), in_line(event_id, 1)

    cancel_one()
    assert entry_of(single)["state"] == "OFFERED"
    assert [entry_of(c)["state"] for c in (pairs[0], pairs[15], pairs[16], pairs[-1], behind)] == ["WAITING"] * 5
    assert [entry_of(c)["position"] for c in (pairs[0], pairs[-1], behind)] == [1, 20, 21]
    assert_seats_add_up(event_id)


def test_seats_owed_to_a_larger_entry_wait_for_it(sold_out, in_line):
    """One seat back while a pair waits: nobody can take it; with a second seat back the pair gets both."""
    event_id, (cancel_a, cancel_b) = sold_out(1, 1)
    pair = in_line(event_id, 2)

    cancel_a()
    assert entry_of(pair)["state"] == "WAITING"
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["types"][0]["waitlist_waiting"]) == (1, 1)

    cancel_b()
    assert entry_of(pair)["state"] == "OFFERED"
    assert assert_seats_add_up(event_id)["seats_held"] == 2


def test_joining_behind_a_larger_entry_when_a_seat_is_free_is_offered_it_at_once(sold_out, in_line):
    event_id, (cancel_a, _) = sold_out(1, 1)
    pair = in_line(event_id, 2)
    cancel_a()
    single = in_line(event_id, 1)
    assert single.entry["state"] == "OFFERED" and single.entry["hold_id"]
    assert entry_of(pair)["state"] == "WAITING"
    assert_seats_add_up(event_id)


def test_leaving_moves_the_line_up_and_an_offer_left_passes_on(sold_out, in_line, client_for, organizer):
    event_id, (cancel_a, _) = sold_out(1, 1)
    first, second, third = in_line(event_id), in_line(event_id), in_line(event_id)

    assert second.delete(f"/waitlist/{second.entry['id']}").status_code == 204
    assert second.entry["id"] not in mine(second)
    assert entry_of(third)["position"] == 2

    cancel_a()
    assert entry_of(first)["state"] == "OFFERED"
    # Declining by leaving: the held seat goes to the next in line.
    assert first.delete(f"/waitlist/{first.entry['id']}").status_code == 204
    assert entry_of(third)["state"] == "OFFERED"
    event = assert_seats_add_up(event_id)
    assert [hold["entry"] for hold in holds_of(event_id)] == [third.entry["id"]]


def test_only_the_customer_in_an_entry_removes_it(sold_out, in_line, customer_client, organizer_client):
    event_id, _ = sold_out(1)
    waiting = in_line(event_id)
    path = f"/waitlist/{waiting.entry['id']}"
    assert customer_client.delete(path).status_code == 403
    assert organizer_client.delete(path).status_code == 403
    assert customer_client.delete("/waitlist/WL-9999").status_code == 404
    assert customer_client.delete("/waitlist/BK-0001").status_code == 404
    assert entry_of(waiting)["state"] == "WAITING"


def test_capacity_raised_goes_to_the_line_first(sold_out, in_line, organizer_client):
    event_id, _ = sold_out(2)
    first, second = in_line(event_id, 2), in_line(event_id, 1)
    response = organizer_client.patch(f"/events/{event_id}", {"capacity": 4}, format="json")
    assert response.status_code == 200, response.content
    assert [entry_of(c)["state"] for c in (first, second)] == ["OFFERED", "WAITING"]
    assert response.json()["seats_available"] == 0
    event = assert_seats_add_up(event_id)
    assert event_doc(event_id)["types"][0]["waitlist_waiting"] == 1 and event["seats_available"] == 0


def test_an_offer_not_claimed_in_time_passes_to_the_next_in_line(settings, sold_out, in_line):
    settings.WAITLIST_OFFER_SECONDS = 1
    event_id, (cancel,) = sold_out(1)
    first, second = in_line(event_id), in_line(event_id)
    cancel()
    assert entry_of(first)["state"] == "OFFERED"
    time.sleep(1.2)

    assert bookings_reconcile(older_than_seconds=60)["offers_expired"] == 1

    assert entry_of(first)["state"] == "EXPIRED" and entry_of(first)["hold_id"] is None
    assert entry_of(second)["state"] == "OFFERED"
    event = assert_seats_add_up(event_id)
    assert [hold["entry"] for hold in holds_of(event_id)] == [second.entry["id"]]
    # An expired entry is out of the line: its customer may join again, at the back.
    again = join(first, event_id, 1)
    assert again.status_code == 201 and again.json()["position"] == 1
    assert_seats_add_up(event_id)


def test_the_line_reads_back_through_the_orm(sold_out, in_line):
    event_id, (cancel, _) = sold_out(1, 1)
    offered, waiting = in_line(event_id), in_line(event_id)
    cancel()
    event = Event.objects.get(pk=event_id)
    first, second = Entry.objects.filter(event_id=event_id).order_by("seq")
    assert (first.id, first.customer_id, first.state, first.qty, first.notified) == (offered.entry["id"], offered.user.pk, "OFFERED", 1, True)
    (hold,) = Hold.objects.filter(event_id=event_id, state="LIVE")
    assert first.hold == hold.id and hold.entry == first.id and first.offered_at >= first.at
    assert (second.id, second.state, second.hold, second.offered_at) == (waiting.entry["id"], "WAITING", None, None)
    assert event.types[0].waitlist_waiting == 1


def test_cancelling_the_event_closes_its_line_and_tells_those_in_it(sold_out, in_line, organizer_client):
    event_id, (cancel_first, _) = sold_out(1, 1)
    offered = in_line(event_id, 1)
    waiting = in_line(event_id, 1)
    cancel_first()
    assert entry_of(offered)["state"] == "OFFERED"

    response = organizer_client.post(f"/events/{event_id}/cancel", {"reason": "Storm"}, format="json")

    assert response.status_code == 200, response.content
    for client in (offered, waiting):
        entry = entry_of(client)
        assert (entry["state"], entry["position"], entry["hold_id"]) == ("CLOSED", None, None)
        assert entry["event_status"] == "CANCELLED"
    doc = event_doc(event_id)
    assert holds_of(event_id) == [] and doc["seats_held"] == 0
    assert [t["waitlist_waiting"] for t in doc["types"]] == [0]
    assert_seats_add_up(event_id)
    # A closed entry leaves the list like a finished one.
    assert waiting.delete(f"/waitlist/{waiting.entry['id']}").status_code == 204
    assert waiting.entry["id"] not in mine(waiting)


def test_my_entries_come_in_pages(sold_out, customer_client):
    event_ids = [sold_out(1)[0] for _ in range(3)]
    ids = [join(customer_client, event_id).json()["id"] for event_id in event_ids]
    first = customer_client.get("/waitlist/me?page_size=2").json()
    assert (first["count"], first["page"], first["page_size"], first["pages"], first["next"], first["previous"]) == (3, 1, 2, 2, 2, None)
    second = customer_client.get("/waitlist/me?page=2&page_size=2").json()
    # Newest first.
    assert [e["id"] for e in first["results"] + second["results"]] == ids[::-1]
    assert customer_client.get("/waitlist/me?page=3&page_size=2").json()["results"] == []
    assert customer_client.get("/waitlist/me?sort=id").status_code == 400
