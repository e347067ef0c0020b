"""Seat holds through the API: create, book, give back, expire; the invariant
capacity == seats_available + seats_held + confirmed seats after each step."""

from datetime import timedelta

import pytest

from accounts.models import Role
from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import hold_expire, holds_of, assert_invariant, book, event_body, event_doc


def hold(client, event_id, qty=1, ticket_type_id=None):
    body = {"eventId": event_id, "qty": qty}
    if ticket_type_id:
        body["ticketTypeId"] = ticket_type_id
    return client.post("/holds", body, format="json")


def expire(event_id, hold_id, seconds_ago=1):
    """The hold's expiry moved into the past, as if HOLD_MINUTES had gone by."""
    hold_expire(hold_id, seconds_ago)


def error_code(response):
    return response.json()["error"]["code"]


def test_a_hold_takes_seats_off_sale_until_it_expires(create_event, customer_client, settings):
    event_id = create_event(publish=True, capacity=5, price="12.50")["id"]
    before = now()
    response = hold(customer_client, event_id, 2)
    assert response.status_code == 201, response.content
    held = response.json()
    assert held["id"] == "HLD-0001" and held["event_id"] == event_id and held["qty"] == 2
    assert held["unit_price"] == "12.50" and held["amount"] == "25.00"
    assert held["ticket_type_name"] == "General admission" and held["waitlist_entry_id"] is None
    minutes = timedelta(minutes=settings.HOLD_MINUTES)
    assert before + minutes <= holds_of(event_id)[0]["expires_at"] <= now() + minutes
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 3 and event["seats_held"] == 2 and rows == []
    # Held seats are not for sale: 3 left.
    assert error_code(book(customer_client, event_id, 4)) == "not_enough_seats"
    assert customer_client.get(f"/events/{event_id}").json()["seats_available"] == 3


def test_booking_a_hold_keeps_its_seats_and_price(create_event, customer_client, organizer_client):
    event = create_event(publish=True, capacity=5, price="12.50")
    hold_id = hold(customer_client, event["id"], 2).json()["id"]
    # The organizer raises the price meanwhile: the hold keeps the price it was taken at.
    organizer_client.patch(f"/events/{event['id']}", {"price": "20.00"}, format="json")
    response = customer_client.post("/bookings", {"holdId": hold_id}, format="json")
    assert response.status_code == 201, response.content
    booking = response.json()
    assert booking["qty"] == 2 and booking["unit_price"] == "12.50" and booking["status"] == "CONFIRMED"
    doc, rows = assert_invariant(event["id"])
    assert doc["seats_held"] == 0 and holds_of(event["id"]) == [] and doc["seats_available"] == 3
    assert [row["_id"] for row in rows] == [booking["id"]]
    # The hold is gone: booking it again finds nothing.
    again = customer_client.post("/bookings", {"holdId": hold_id}, format="json")
    assert again.status_code == 404 and error_code(again) == "hold_not_found"
    assert customer_client.get("/holds/me").json()["results"] == []


def test_a_hold_with_the_same_fields_or_none_books_and_different_ones_are_refused(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    wrong = customer_client.post("/bookings", {"holdId": hold_id, "eventId": event_id, "qty": 3}, format="json")
    assert wrong.status_code == 400 and error_code(wrong) == "hold_mismatch" and "qty" in wrong.json()["error"]["fields"]
    right = customer_client.post("/bookings", {"holdId": hold_id, "eventId": event_id, "qty": 2}, format="json")
    assert right.status_code == 201
    assert_invariant(event_id)


def test_someone_elses_hold_is_not_found(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=5)["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    other = client_for(make_user(Role.CUSTOMER))
    for response in (
        other.post("/bookings", {"holdId": hold_id}, format="json"),
        other.get(f"/holds/{hold_id}"),
        other.delete(f"/holds/{hold_id}"),
    ):
        assert response.status_code == 404 and error_code(response) == "hold_not_found"
    assert customer_client.get(f"/holds/{hold_id}").json()["id"] == hold_id
    event, _ = assert_invariant(event_id)
    assert event["seats_held"] == 2


def test_giving_a_hold_back_puts_its_seats_on_sale(create_event, customer_client):
    event_id = create_event(publish=True, capacity=3)["id"]
    hold_id = hold(customer_client, event_id, 3).json()["id"]
    assert error_code(book(customer_client, event_id, 1)) == "not_enough_seats"
    response = customer_client.delete(f"/holds/{hold_id}")
    assert response.status_code == 204
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 3 and event["seats_held"] == 0
    assert customer_client.delete(f"/holds/{hold_id}").status_code == 404
    assert error_code(customer_client.post("/bookings", {"holdId": hold_id}, format="json")) == "hold_not_found"
    assert book(customer_client, event_id, 3).status_code == 201


def test_the_reconciler_releases_expired_holds_with_nobody_reading(create_event, customer_client):
    event_id = create_event(publish=True, capacity=4)["id"]
    old = hold(customer_client, event_id, 2).json()["id"]
    live = hold(customer_client, event_id, 1).json()["id"]
    expire(event_id, old)
    assert bookings_reconcile() == {"holds_expired": 1}
    event, _ = assert_invariant(event_id)
    assert [h["id"] for h in holds_of(event_id)] == [live] and event["seats_available"] == 3
    assert bookings_reconcile() == {}


def test_an_expired_hold_cannot_be_booked(create_event, customer_client):
    event_id = create_event(publish=True, capacity=4)["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    expire(event_id, hold_id)
    response = customer_client.post("/bookings", {"holdId": hold_id}, format="json")
    assert response.status_code == 409 and error_code(response) == "hold_expired"
    # Its seats went back at once, without waiting for the reconciler.
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 4 and rows == []
    assert customer_client.post("/bookings", {"holdId": hold_id}, format="json").status_code == 404


def test_a_customer_may_hold_only_so_many_seats_of_an_event(create_event, customer_client, settings):
    settings.HOLD_MAX_SEATS_PER_CUSTOMER = 5
    event_id = create_event(publish=True, capacity=50)["id"]
    other_event = create_event(publish=True, capacity=50)["id"]
    first = hold(customer_client, event_id, 3).json()["id"]
    assert hold(customer_client, event_id, 2).status_code == 201
    refused = hold(customer_client, event_id, 1)
    assert refused.status_code == 409 and error_code(refused) == "hold_limit_reached"
    assert refused.json()["error"]["max_held_seats"] == 5 and refused.json()["error"]["seats_held"] == 5
    # Per event; and an expired hold no longer counts (even before the reconciler releases it).
    assert hold(customer_client, other_event, 5).status_code == 201
    expire(event_id, first)
    assert hold(customer_client, event_id, 3).status_code == 201
    assert_invariant(event_id)


def test_holds_obey_the_booking_limits(create_event, organizer_client, customer_client):
    types = [{"name": "VIP", "price": "40.00", "capacity": 10, "max_per_booking": 2}]
    event = organizer_client.post("/events", event_body(price=None, capacity=None, types=types), format="json").json()
    vip = event["types"][0]["id"]
    draft = hold(customer_client, event["id"], 1)
    assert draft.status_code == 404 and error_code(draft) == "event_not_found"
    organizer_client.post(f"/events/{event['id']}/publish")
    over = hold(customer_client, event["id"], 3, vip)
    assert over.status_code == 409 and error_code(over) == "over_ticket_type_maximum"
    assert hold(customer_client, event["id"], 11).status_code == 400
    assert hold(customer_client, "EVT-9999", 1).status_code == 404
    assert error_code(hold(customer_client, event["id"], 1, "TT-9999")) == "ticket_type_not_found"
    assert hold(customer_client, event["id"], 2, vip).status_code == 201


def test_only_customers_hold(create_event, organizer_client, api):
    event_id = create_event(publish=True, capacity=5)["id"]
    assert hold(organizer_client, event_id).status_code == 403
    assert hold(api, event_id).status_code == 401
    assert organizer_client.get("/holds/me").status_code == 403


def test_seats_owed_to_the_waiting_list_are_not_for_sale(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    # The waiting list keeps this count; set here as it would.
    collection("events").update_one({"_id": event_id}, {"$set": {"types.0.waitlist_waiting": 1}})
    for response in (book(customer_client, event_id, 1), hold(customer_client, event_id, 1)):
        assert response.status_code == 409 and error_code(response) == "seats_owed_to_waitlist"
    collection("events").update_one({"_id": event_id}, {"$set": {"types.0.waitlist_waiting": 0}})
    assert hold(customer_client, event_id, 1).status_code == 201
    assert book(customer_client, event_id, 1).status_code == 201
    assert_invariant(event_id)


def test_my_holds_and_the_organizers_view(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    ids = [hold(customer_client, event_id, qty).json()["id"] for qty in (1, 2)]
    mine = customer_client.get("/holds/me").json()["results"]
    assert [h["id"] for h in mine] == ids and [h["qty"] for h in mine] == [1, 2]
    owned = organizer_client.get(f"/events/{event_id}").json()
    assert owned["seats_held"] == 3 and owned["types"][0]["seats_held"] == 3 and owned["seats_available"] == 7
    # The public sees what is for sale, not who holds what.
    assert "seats_held" not in customer_client.get(f"/events/{event_id}").json()


def test_a_capacity_edit_respects_held_seats(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    hold(customer_client, event_id, 2)
    book(customer_client, event_id, 2)
    shrink = organizer_client.patch(f"/events/{event_id}", {"capacity": 3}, format="json")
    assert shrink.status_code == 409 and error_code(shrink) == "capacity_below_sold"
    grow = organizer_client.patch(f"/events/{event_id}", {"capacity": 8}, format="json")
    assert grow.status_code == 200 and grow.json()["seats_available"] == 4
    assert_invariant(event_id)


def test_cancelling_the_event_drops_its_holds(create_event, customer_client, organizer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    hold_id = hold(customer_client, event_id, 2).json()["id"]
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    event, _ = assert_invariant(event_id)
    assert holds_of(event["_id"]) == [] and event["seats_held"] == 0 and event["seats_available"] == 5
    assert customer_client.post("/bookings", {"holdId": hold_id}, format="json").status_code == 404


@pytest.mark.parametrize("body", [{}, {"holdId": "HLD-1"}, {"holdId": "HLD-0001", "qty": 0}, {"qty": 1}])
def test_malformed_booking_bodies_with_holds_are_400(body, customer_client):
    response = customer_client.post("/bookings", body, format="json")
    assert response.status_code == 400 and error_code(response) == "validation_error"


def test_an_idempotency_key_books_a_hold_once(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    first, second = (hold(customer_client, event_id, 2).json()["id"] for _ in range(2))
    key = {"Idempotency-Key": "c0ffee00-hold-4a2b-9c1d-000000000001"}
    created = customer_client.post("/bookings", {"holdId": first}, format="json", headers=key)
    replay = customer_client.post("/bookings", {"holdId": first}, format="json", headers=key)
    assert created.status_code == 201 and replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json()["id"] == created.json()["id"]
    other = customer_client.post("/bookings", {"holdId": second}, format="json", headers=key)
    assert other.status_code == 422 and error_code(other) == "idempotency_key_reused"
    event, rows = assert_invariant(event_id)
    assert len(rows) == 1 and event["seats_held"] == 2


def test_a_hold_reads_back_through_the_orm(create_event, customer_client, customer):
    from bookings.models import Hold
    from events.models import Event

    event_id = create_event(publish=True, capacity=5, price="12.50")["id"]
    held = hold(customer_client, event_id, 2).json()
    event = Event.objects.get(pk=event_id)
    [stored] = Hold.objects.filter(event_id=event_id)
    assert (stored.id, stored.customer_id, stored.qty, stored.unit_price_cents, stored.entry) == (held["id"], customer.pk, 2, 1250, None)
    assert (stored.state, stored.ended_at, stored.booking) == ("LIVE", None, None)
    assert stored.type == held["ticket_type_id"] and stored.expires_at > stored.at
    assert (event.seats_held, event.types[0].seats_held, event.types[0].waitlist_waiting) == (2, 2, 0)


def test_a_hold_ends_with_its_ticket_types_sales(create_event, organizer_client, customer_client):
    sales_end = now() + timedelta(minutes=3)
    types = [{"name": "Early", "price": "8.00", "capacity": 10, "sales_end": sales_end.isoformat()}]
    event = organizer_client.post("/events", event_body(price=None, capacity=None, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    held = hold(customer_client, event["id"], 1)
    assert held.status_code == 201
    assert holds_of(event["id"])[0]["expires_at"] == sales_end.replace(microsecond=sales_end.microsecond // 1000 * 1000)


def test_my_holds_lists_only_live_ones(create_event, customer_client):
    event_id = create_event(publish=True, capacity=5)["id"]
    old, live = (hold(customer_client, event_id, 1).json()["id"] for _ in range(2))
    expire(event_id, old)
    assert [h["id"] for h in customer_client.get("/holds/me").json()["results"]] == [live]


def test_my_holds_come_in_pages(create_event, customer_client):
    event_ids = [create_event(publish=True, capacity=5)["id"] for _ in range(3)]
    ids = [hold(customer_client, event_id, 1).json()["id"] for event_id in event_ids]
    first = customer_client.get("/holds/me?page_size=2").json()
    assert (first["count"], first["page"], first["pages"], first["next"], first["previous"]) == (3, 1, 2, 2, None)
    second = customer_client.get("/holds/me?page=2&page_size=2").json()
    assert [h["id"] for h in first["results"] + second["results"]] == ids and second["next"] is None
    response = customer_client.get("/holds/me?page_size=500")
    assert response.status_code == 400 and "page_size" in response.json()["error"]["fields"]
