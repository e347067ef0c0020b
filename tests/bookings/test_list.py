"""GET /bookings/me: the caller's bookings, newest first, paginated, filtered by status."""

import pytest

from tests.helpers import book


def test_newest_first_with_the_event_of_each(create_event, customer_client, client_for, make_user):
    first = create_event(publish=True, capacity=10, price="25.00", title="First")["id"]
    second = create_event(publish=True, capacity=10, price="25.00", title="Second")["id"]
    ids = [book(customer_client, event_id).json()["id"] for event_id in (first, second, first)]
    book(client_for(make_user()), first)  # someone else's

    page = customer_client.get("/bookings/me").json()
    assert page["count"] == 3 and page["pages"] == 1
    assert [b["id"] for b in page["results"]] == ids[::-1]
    latest = page["results"][0]
    assert latest["event_id"] == first and latest["event_title"] == "First"
    assert latest["event_status"] == "PUBLISHED" and latest["event_starts_at"].endswith("Z")


def test_pages_do_not_overlap(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    ids = [book(customer_client, event_id).json()["id"] for _ in range(5)]
    pages = [customer_client.get(f"/bookings/me?page={n}&page_size=2").json() for n in (1, 2, 3)]
    assert [p["next"] for p in pages] == [2, 3, None]
    assert [b["id"] for p in pages for b in p["results"]] == ids[::-1]
    assert customer_client.get("/bookings/me?page=9&page_size=2").json()["results"] == []


def test_status_filter(create_event, customer_client, organizer_client):
    kept = create_event(publish=True, capacity=10, price="25.00")["id"]
    dropped = create_event(publish=True, capacity=10, price="25.00")["id"]
    mine = book(customer_client, kept).json()["id"]
    cancelled = book(customer_client, kept).json()["id"]
    by_event = book(customer_client, dropped).json()["id"]
    assert customer_client.post(f"/bookings/{cancelled}/cancel").status_code == 200
    assert organizer_client.post(f"/events/{dropped}/cancel").status_code == 200

    confirmed = customer_client.get("/bookings/me?status=CONFIRMED").json()["results"]
    assert [b["id"] for b in confirmed] == [mine]
    gone = customer_client.get("/bookings/me?status=CANCELLED").json()["results"]
    assert [(b["id"], b["cancelled_by_event"], b["event_status"]) for b in gone] == [
        (by_event, True, "CANCELLED"),
        (cancelled, False, "PUBLISHED"),
    ]


@pytest.mark.parametrize("query", ["status=VOID", "status=confirmed", "page=0", "page_size=101", "page=x", "sort=qty"])
def test_malformed_filters_are_400(query, customer_client):
    response = customer_client.get(f"/bookings/me?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_only_customers_have_bookings(organizer_client, api):
    assert api.get("/bookings/me").status_code == 401
    assert organizer_client.get("/bookings/me").status_code == 403
