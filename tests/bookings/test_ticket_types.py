"""Booking a ticket type: its own seats and the event's, taken together; its price
frozen; cancelling and the reconciler give seats back to the right type."""

from datetime import timedelta

from bookings.services import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import assert_invariant, book, event_body, event_doc, future, iso


def make_typed_event(client, types, capacity=None, publish=True):
    body = event_body(price=None, capacity=capacity, types=types)
    event = client.post("/events", body, format="json").json()
    if publish:
        event = client.post(f"/events/{event['id']}/publish").json()
    return event["id"], [t["id"] for t in event["types"]]


TWO = [{"name": "Standard", "price": "15.00", "capacity": 3}, {"name": "VIP", "price": "60.00", "capacity": 2, "max_per_booking": 2}]


def test_a_booking_takes_seats_of_its_type_and_of_the_event(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO)
    response = book(customer_client, event_id, 2, ticket_type_id=vip)
    assert response.status_code == 201, response.content
    booking = response.json()
    assert (booking["ticket_type_id"], booking["ticket_type_name"], booking["unit_price"], booking["amount"]) == (vip, "VIP", "60.00", "120.00")
    response = book(customer_client, event_id, 1, ticket_type_id=vip)
    assert response.status_code == 409
    assert response.json()["error"] | {"message": ""} == {"code": "not_enough_seats", "message": "", "seats_available": 0, "ticket_type_id": vip}
    assert book(customer_client, event_id, 3, ticket_type_id=standard).status_code == 201
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 0 and event["revenue_cents"] == 16500


def test_the_shared_quota_limits_every_type(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO, capacity=3)
    assert book(customer_client, event_id, 2, ticket_type_id=vip).status_code == 201
    response = book(customer_client, event_id, 2, ticket_type_id=standard)
    # Standard has 3 seats of its own, the event 1.
    assert response.status_code == 409 and response.json()["error"]["seats_available"] == 1
    assert book(customer_client, event_id, 1, ticket_type_id=standard).status_code == 201
    event, _ = assert_invariant(event_id)
    assert [t["seats_available"] for t in event["types"]] == [2, 0] and event["seats_available"] == 0


def test_which_type_must_be_said_when_there_are_several(organizer_client, customer_client):
    event_id, _ = make_typed_event(organizer_client, TWO)
    response = book(customer_client, event_id, 1)
    assert response.status_code == 400 and response.json()["error"]["code"] == "ticket_type_required"
    assert "ticketTypeId" in response.json()["error"]["fields"]
    response = book(customer_client, event_id, 1, ticket_type_id="TT-9999")
    assert response.status_code == 404 and response.json()["error"]["code"] == "ticket_type_not_found"
    response = book(customer_client, event_id, 1, ticket_type_id="VIP")
    assert response.status_code == 400 and "ticketTypeId" in response.json()["error"]["fields"]
    assert_invariant(event_id)


def test_the_per_booking_maximum_and_the_sale_window(organizer_client, customer_client):
    types = [
        {"name": "VIP", "price": "60.00", "capacity": 9, "max_per_booking": 2},
        {"name": "Later", "price": "5.00", "capacity": 9, "sales_start": iso(future(3))},
        {"name": "Over", "price": "5.00", "capacity": 9, "sales_start": iso(now() - timedelta(days=2)), "sales_end": iso(now() - timedelta(days=1))},
    ]
    event_id, (vip, later, over) = make_typed_event(organizer_client, types)
    response = book(customer_client, event_id, 3, ticket_type_id=vip)
    assert response.status_code == 409 and response.json()["error"]["code"] == "over_ticket_type_maximum"
    assert response.json()["error"]["max_per_booking"] == 2
    for type_id in (later, over):
        response = book(customer_client, event_id, 1, ticket_type_id=type_id)
        assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_type_not_on_sale"
    assert [t["on_sale"] for t in customer_client.get(f"/events/{event_id}").json()["types"]] == [True, False, False]
    assert_invariant(event_id)
    assert event_doc(event_id)["seats_available"] == 27


def test_a_new_price_applies_to_later_bookings_only(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO)
    first = book(customer_client, event_id, 1, ticket_type_id=standard).json()
    response = organizer_client.patch(f"/events/{event_id}", {"types": [{"id": standard, "price": "20.00"}, {"id": vip}]}, format="json")
    assert response.status_code == 200, response.content
    second = book(customer_client, event_id, 1, ticket_type_id=standard).json()
    assert (first["unit_price"], second["unit_price"]) == ("15.00", "20.00")
    mine = {b["id"]: b["unit_price"] for b in customer_client.get("/bookings/me").json()["results"]}
    assert mine == {first["id"]: "15.00", second["id"]: "20.00"}
    event, _ = assert_invariant(event_id)
    assert event["types"][0]["revenue_cents"] == 3500


def test_cancelling_gives_the_seats_back_to_the_type(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO)
    booking = book(customer_client, event_id, 2, ticket_type_id=vip).json()
    book(customer_client, event_id, 1, ticket_type_id=standard)
    assert customer_client.post(f"/bookings/{booking['id']}/cancel").status_code == 200
    event, _ = assert_invariant(event_id)
    assert [t["seats_available"] for t in event["types"]] == [2, 2]


def test_the_reconciler_restores_the_seats_of_the_markers_type(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO)
    marker = {"booking": "BK-0777", "type": vip, "qty": 2, "amount_cents": 12000, "at": now() - timedelta(minutes=1)}
    taken = {"seats_available": -2, "tickets_sold": 2, "revenue_cents": 12000}
    collection("events").update_one(
        {"_id": event_id},
        {"$push": {"pending": marker}, "$inc": {**taken, **{f"types.1.{k}": v for k, v in taken.items()}}},
    )
    assert book(customer_client, event_id, 1, ticket_type_id=vip).status_code == 409
    assert bookings_reconcile() == {"restored": 1}
    event, _ = assert_invariant(event_id)
    assert [t["seats_available"] for t in event["types"]] == [3, 2]


def test_cancelling_the_event_resets_every_type(organizer_client, customer_client):
    event_id, (standard, vip) = make_typed_event(organizer_client, TWO)
    book(customer_client, event_id, 2, ticket_type_id=vip)
    book(customer_client, event_id, 3, ticket_type_id=standard)
    assert organizer_client.post(f"/events/{event_id}/cancel").status_code == 200
    event, rows = assert_invariant(event_id)
    assert rows == [] and [t["tickets_sold"] for t in event["types"]] == [0, 0]
