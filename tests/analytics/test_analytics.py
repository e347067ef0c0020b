"""GET /analytics/me: an organizer's figures, equal to what the bookings say."""

from shared.mongo import collection
from tests.helpers import book, event_body


def type_of(event_id):
    return collection("events").find_one({"_id": event_id})["types"][0]["id"]


def test_sales_break_down_per_ticket_type(organizer_client, customer_client):
    body = event_body(price=None, capacity=None, types=[
        {"name": "Early bird", "price": "10.00", "capacity": 5},
        {"name": "VIP", "price": "60.00", "capacity": 2},
    ])
    event = organizer_client.post("/events", body, format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    early, vip = [t["id"] for t in event["types"]]
    for type_id, qty in [(early, 3), (vip, 1), (early, 1)]:
        assert book(customer_client, event["id"], qty, ticket_type_id=type_id).status_code == 201
    figures = organizer_client.get("/analytics/me").json()
    assert figures["tickets_sold"] == 5 and figures["total_revenue"] == "100.00"
    assert [(row["ticket_type_name"], row["tickets_sold"], row["revenue"]) for row in figures["by_ticket_type"]] == [
        ("Early bird", 4, "40.00"),
        ("VIP", 1, "60.00"),
    ]


def figures_from_bookings(organizer):
    """The same figures, summed in Python from the raw collections."""
    event_ids = [e["_id"] for e in collection("events").find({"organizer_id": organizer.pk})]
    rows = list(collection("bookings").find({"event_id": {"$in": event_ids}, "status": "CONFIRMED"}))
    return sum(r["qty"] for r in rows), sum(r["amount_cents"] for r in rows)


def test_figures_count_confirmed_bookings_only(create_event, organizer_client, organizer, client_for, make_user, other_organizer_client):
    jazz = create_event(publish=True, capacity=50, price="10.00", title="Jazz")["id"]
    rock = create_event(publish=True, capacity=50, price="30.00", title="Rock")["id"]
    storm = create_event(publish=True, capacity=50, price="99.00", title="Storm")["id"]
    create_event(publish=False, capacity=10, price="25.00", title="Draft")["id"]
    theirs = create_event(publish=True, capacity=50, price="500.00", client=other_organizer_client, title="Theirs")["id"]
    ann, bob = client_for(make_user()), client_for(make_user())

    book(ann, jazz, 5)
    book(bob, jazz, 4)
    dropped = book(bob, jazz, 3).json()["id"]
    book(ann, rock, 2)
    book(bob, storm, 6)
    book(ann, theirs, 1)
    assert bob.post(f"/bookings/{dropped}/cancel").status_code == 200
    assert organizer_client.post(f"/events/{storm}/cancel").status_code == 200

    response = organizer_client.get("/analytics/me")
    assert response.status_code == 200
    figures = response.json()
    assert figures == {
        "total_events": 4,
        "events_by_status": {"DRAFT": 1, "PUBLISHED": 2, "CANCELLED": 1},
        "tickets_sold": 11,
        "total_revenue": "150.00",
        "top_event": {"id": jazz, "title": "Jazz", "tickets_sold": 9, "revenue": "90.00"},
        # One type each (made without types: "General admission"); cancelled ones count nothing.
        "by_ticket_type": [
            {"event_id": event_id, "event_title": title, "ticket_type_id": type_of(event_id), "ticket_type_name": "General admission",
             "tickets_sold": sold, "revenue": revenue}
            for event_id, title, sold, revenue in [(jazz, "Jazz", 9, "90.00"), (rock, "Rock", 2, "60.00")]
        ],
    }
    tickets, revenue = figures_from_bookings(organizer)
    assert figures["tickets_sold"] == tickets and figures["total_revenue"] == f"{revenue / 100:.2f}"
    # The event documents' own counters agree too.
    events = list(collection("events").find({"organizer_id": organizer.pk}))
    assert sum(e["tickets_sold"] for e in events) == tickets
    assert sum(e["revenue_cents"] for e in events) == revenue


def test_ties_go_to_revenue_then_the_earliest_event(create_event, organizer_client, customer_client):
    first = create_event(publish=True, capacity=10, price="10.00", title="First")["id"]
    second = create_event(publish=True, capacity=10, price="20.00", title="Second")["id"]
    third = create_event(publish=True, capacity=10, price="20.00", title="Third")["id"]
    book(customer_client, first, 2)
    book(customer_client, third, 2)
    book(customer_client, second, 2)
    top = organizer_client.get("/analytics/me").json()["top_event"]
    assert (top["id"], top["revenue"]) == (second, "40.00")
    book(customer_client, first, 1)
    assert organizer_client.get("/analytics/me").json()["top_event"]["id"] == first


def test_nothing_sold_means_no_top_event(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    booking_id = book(customer_client, event_id).json()["id"]
    customer_client.post(f"/bookings/{booking_id}/cancel")
    figures = organizer_client.get("/analytics/me").json()
    assert figures["top_event"] is None
    assert figures["tickets_sold"] == 0 and figures["total_revenue"] == "0.00"


def test_an_organizer_without_events(organizer_client):
    assert organizer_client.get("/analytics/me").json() == {
        "total_events": 0,
        "events_by_status": {"DRAFT": 0, "PUBLISHED": 0, "CANCELLED": 0},
        "tickets_sold": 0,
        "total_revenue": "0.00",
        "top_event": None,
        "by_ticket_type": [],
    }


def test_only_organizers(customer_client, api):
    assert api.get("/analytics/me").status_code == 401
    assert customer_client.get("/analytics/me").status_code == 403
