"""GET /analytics/me/sales: confirmed sales per hour, day or week, in a time zone."""

from datetime import UTC, datetime

import pytest

from shared.mongo import collection
from tests.helpers import book


def booked_at(booking_id, moment):
    collection("bookings").update_one({"_id": booking_id}, {"$set": {"created_at": moment}})


@pytest.fixture
def sales(create_event, customer_client, other_organizer_client):
    """Bookings at chosen instants: two events of the organizer (two types on one), one of another organizer."""
    jazz = create_event(publish=True, capacity=None, price=None, title="Jazz", types=[
        {"name": "Standard", "price": "10.00", "capacity": 100},
        {"name": "VIP", "price": "50.00", "capacity": 100},
    ])
    rock = create_event(publish=True, capacity=100, price="20.00", title="Rock")
    theirs = create_event(publish=True, capacity=100, price="99.00", client=other_organizer_client)
    standard, vip = [t["id"] for t in jazz["types"]]
    plan = [
        # UTC instant                        event   type       qty
        (datetime(2030, 3, 30, 21, 30, tzinfo=UTC), jazz, standard, 1),   # 23:30 in Paris (UTC+1)
        (datetime(2030, 3, 30, 23, 10, tzinfo=UTC), jazz, vip, 2),        # 00:10 on the 31st in Paris
        (datetime(2030, 3, 31, 1, 5, tzinfo=UTC), rock, None, 3),         # 03:05 Paris: summer time from 02:00
        (datetime(2030, 4, 2, 9, 0, tzinfo=UTC), jazz, standard, 4),
        (datetime(2030, 4, 2, 9, 0, tzinfo=UTC), theirs, None, 1),        # not the organizer's
    ]
    ids = []
    for moment, event, type_id, qty in plan:
        response = book(customer_client, event["id"], qty, ticket_type_id=type_id)
        assert response.status_code == 201, response.content
        booked_at(response.json()["id"], moment)
        ids.append(response.json()["id"])
    # A cancelled booking never counts.
    dropped = book(customer_client, jazz["id"], 5, ticket_type_id=standard).json()["id"]
    booked_at(dropped, datetime(2030, 3, 31, 10, tzinfo=UTC))
    assert customer_client.post(f"/bookings/{dropped}/cancel").status_code == 200
    return {"jazz": jazz, "rock": rock, "theirs": theirs, "vip": vip, "standard": standard}


def series(response):
    assert response.status_code == 200, response.content
    return [(b["start"], b["tickets"], b["revenue"]) for b in response.json()["series"]]


def test_days_in_a_time_zone_with_empty_days_filled(organizer_client, sales):
    response = organizer_client.get("/analytics/me/sales?interval=day&from=2030-03-30&to=2030-04-02&tz=Europe/Paris")
    assert series(response) == [
        ("2030-03-30T00:00:00+01:00", 1, "10.00"),
        ("2030-03-31T00:00:00+01:00", 5, "160.00"),   # 2 VIP and 3 of Rock; summer time starts this day
        ("2030-04-01T00:00:00+02:00", 0, "0.00"),
        ("2030-04-02T00:00:00+02:00", 4, "40.00"),
    ]
    body = response.json()
    assert (body["interval"], body["tz"], body["tickets"], body["revenue"]) == ("day", "Europe/Paris", 10, "210.00")
    assert (body["from"], body["to"]) == ("2030-03-30T00:00:00+01:00", "2030-04-03T00:00:00+02:00")
    # The same bookings in UTC fall on other days.
    utc = organizer_client.get("/analytics/me/sales?interval=day&from=2030-03-30&to=2030-04-02")
    assert series(utc) == [
        ("2030-03-30T00:00:00+00:00", 3, "110.00"),
        ("2030-03-31T00:00:00+00:00", 3, "60.00"),
        ("2030-04-01T00:00:00+00:00", 0, "0.00"),
        ("2030-04-02T00:00:00+00:00", 4, "40.00"),
    ]


def test_hours_across_the_change_to_summer_time(organizer_client, sales):
    response = organizer_client.get(
        "/analytics/me/sales?interval=hour&from=2030-03-31T00:00&to=2030-03-31T04:00&tz=Europe/Paris")
    # 02:00-03:00 does not exist that night in Paris: four hours of wall clock, three buckets.
    assert series(response) == [
        ("2030-03-31T00:00:00+01:00", 2, "100.00"),
        ("2030-03-31T01:00:00+01:00", 0, "0.00"),
        ("2030-03-31T03:00:00+02:00", 3, "60.00"),
    ]
    # A half-hour time zone keeps its own hour boundaries.
    kolkata = organizer_client.get(
        "/analytics/me/sales?interval=hour&from=2030-03-31T02:00&to=2030-03-31T05:00&tz=Asia/Kolkata")
    assert series(kolkata) == [
        ("2030-03-31T02:00:00+05:30", 0, "0.00"),
        ("2030-03-31T03:00:00+05:30", 1, "10.00"),    # 21:30 UTC the day before is 03:00 in Kolkata
        ("2030-03-31T04:00:00+05:30", 2, "100.00"),   # 23:10 UTC is 04:40
    ]


def test_weeks_start_on_monday(organizer_client, sales):
    response = organizer_client.get("/analytics/me/sales?interval=week&from=2030-03-20&to=2030-04-10&tz=Europe/Paris")
    assert series(response) == [
        ("2030-03-18T00:00:00+01:00", 0, "0.00"),
        ("2030-03-25T00:00:00+01:00", 6, "170.00"),
        ("2030-04-01T00:00:00+02:00", 4, "40.00"),
        ("2030-04-08T00:00:00+02:00", 0, "0.00"),
    ]


def test_one_event_or_one_ticket_type(organizer_client, sales):
    base = "/analytics/me/sales?interval=day&from=2030-03-30&to=2030-04-02&tz=Europe/Paris"
    assert [b[1] for b in series(organizer_client.get(f"{base}&event={sales['rock']['id']}"))] == [0, 3, 0, 0]
    assert [b[1] for b in series(organizer_client.get(f"{base}&event={sales['jazz']['id']}"))] == [1, 2, 0, 4]
    assert [b[1] for b in series(organizer_client.get(f"{base}&ticket_type={sales['vip']}"))] == [0, 2, 0, 0]
    both = organizer_client.get(f"{base}&event={sales['jazz']['id']}&ticket_type={sales['standard']}")
    assert [b[1] for b in series(both)] == [1, 0, 0, 4]


def test_the_default_range_is_the_last_30_days(organizer_client, customer_client, published_event):
    assert book(customer_client, published_event["id"], 2).status_code == 201
    body = organizer_client.get("/analytics/me/sales").json()
    assert body["interval"] == "day" and body["tz"] == "UTC"
    assert len(body["series"]) == 31 and body["series"][-1]["tickets"] == 2 and body["tickets"] == 2


def test_an_organizer_without_sales_gets_zeros(other_organizer_client):
    body = other_organizer_client.get("/analytics/me/sales?from=2030-01-01&to=2030-01-03").json()
    assert [(b["tickets"], b["revenue"]) for b in body["series"]] == [(0, "0.00")] * 3


@pytest.mark.parametrize("query, code, field", [
    ("colour=red", "unknown_field", "colour"),
    ("interval=month", "validation_error", "interval"),
    ("interval=day&interval=week", "repeated_parameter", "interval"),
    ("tz=Mars/Olympus", "validation_error", "tz"),
    ("tz=../../etc/passwd", "validation_error", "tz"),
    ("from=yesterday", "validation_error", "from"),
    ("to=2030-13-01", "validation_error", "to"),
    ("from=2030-02-01&to=2030-01-01", "validation_error", "to"),
    ("from=2030-01-01&to=2030-01-01T00:00Z", "validation_error", "to"),
    ("event=EVT-1", "validation_error", "event"),
    ("ticket_type=VIP", "validation_error", "ticket_type"),
    ("interval=hour&from=2030-01-01&to=2030-03-01", "too_many_buckets", None),
    ("interval=day&from=2000-01-01&to=2030-01-01", "too_many_buckets", None),
])
def test_refusals(organizer_client, query, code, field):
    response = organizer_client.get(f"/analytics/me/sales?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    if field:
        assert field in error["fields"], error
    else:
        assert error["code"] == code and error["max_buckets"] == 1000


def test_the_largest_range_allowed(organizer_client):
    # 1000 buckets exactly is allowed; 1001 is not.
    assert len(organizer_client.get("/analytics/me/sales?interval=hour&from=2030-01-01T00:00Z&to=2030-02-11T16:00Z").json()["series"]) == 1000
    assert organizer_client.get("/analytics/me/sales?interval=hour&from=2030-01-01T00:00Z&to=2030-02-11T16:01Z").status_code == 400


def test_other_organizers_events_and_types_are_not_found(organizer_client, sales):
    for param in (f"event={sales['theirs']['id']}", "event=EVT-9999", f"ticket_type={sales['theirs']['types'][0]['id']}"):
        response = organizer_client.get(f"/analytics/me/sales?{param}")
        assert response.status_code == 404, param
        assert response.json()["error"]["code"] in ("event_not_found", "ticket_type_not_found")
    mismatch = organizer_client.get(f"/analytics/me/sales?event={sales['rock']['id']}&ticket_type={sales['vip']}")
    assert mismatch.status_code == 404 and mismatch.json()["error"]["code"] == "ticket_type_not_found"


def test_customers_and_anonymous_are_refused(customer_client, api):
    assert customer_client.get("/analytics/me/sales").status_code == 403
    assert api.get("/analytics/me/sales").status_code == 401


def test_analytics_me_refuses_unknown_parameters(organizer_client):
    response = organizer_client.get("/analytics/me?from=2030-01-01")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"from": ["Unknown field."]}
    assert organizer_client.get("/analytics/me").status_code == 200
