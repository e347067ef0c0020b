"""The notice log through GET /notices: every notice a user was sent, with an id that
increases by one per recipient, pages, `after`, the gap once notices expired, and the
reconciler recording a notice that a crash lost."""

from datetime import timedelta

import pytest

from bookings.services.reconcile import bookings_reconcile
from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import book


def notices_of(client, **params):
    response = client.get("/notices", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_organizer_reads_each_booking_and_cancellation_in_order(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    ids = [book(customer_client, event_id, qty).json()["id"] for qty in (1, 2, 3)]
    assert customer_client.post(f"/bookings/{ids[1]}/cancel").status_code == 200

    page = notices_of(organizer_client)

    assert page["count"] == 4 and page["gap"] is None
    kinds = [(notice["type"], notice["data"]["booking_id"]) for notice in page["results"]]
    assert kinds == [("booking.created", ids[0]), ("booking.created", ids[1]), ("booking.created", ids[2]), ("booking.cancelled", ids[1])]
    numbers = [notice["id"] for notice in page["results"]]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    assert [notice["data"]["seats_available"] for notice in page["results"]] == [9, 7, 4, 6]
    assert page["results"][0]["data"]["amount"] == "12.50" and page["results"][0]["created_at"].endswith("Z")
    # The customer was told nothing; each reads only their own.
    assert notices_of(customer_client)["count"] == 0


def test_after_returns_what_came_later_in_pages(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=50, price="5.00")["id"]
    for _ in range(7):
        assert book(customer_client, event_id, 1).status_code == 201
    everything = notices_of(organizer_client)["results"]
    third = everything[2]["id"]

    first = notices_of(organizer_client, after=third, page_size=3)
    second = notices_of(organizer_client, after=third, page_size=3, page=2)

    assert (first["count"], first["pages"], first["next"], first["gap"]) == (4, 2, 2, None)
    assert [n["id"] for n in first["results"] + second["results"]] == [n["id"] for n in everything[3:]]
    assert notices_of(organizer_client, after=everything[-1]["id"])["results"] == []
    assert notices_of(organizer_client, after=everything[-1]["id"])["gap"] is None


@pytest.mark.parametrize("query", ["after=abc", "after=-1", "after=1.5", "after=1&after=2", "page_size=101"])
def test_malformed_parameters_are_a_400(organizer_client, query):
    response = organizer_client.get(f"/notices?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_anonymous_callers_are_refused(api):
    assert api.get("/notices").status_code == 401


def test_notices_past_their_retention_go_and_a_reader_after_them_is_told(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=50, price="5.00")["id"]
    for _ in range(5):
        assert book(customer_client, event_id, 1).status_code == 201
    ids = [n["id"] for n in notices_of(organizer_client)["results"]]
    # The first three expire (as the TTL index would delete them; the reconciler does on servers without one).
    collection("notices").update_many({"seq": {"$lte": ids[2]}}, {"$set": {"expires_at": now() - timedelta(seconds=1)}})
    assert bookings_reconcile(older_than_seconds=0)["notices_expired"] == 3

    page = notices_of(organizer_client, after=ids[0])

    assert page["gap"] == {"after": ids[0], "resumes_after": ids[2]}
    assert [n["id"] for n in page["results"]] == ids[3:]
    # Right after a kept notice, nothing was lost.
    assert notices_of(organizer_client, after=ids[3])["gap"] is None
    # An id that is neither kept nor older than the kept ones: everything after the newest may be lost.
    assert notices_of(organizer_client, after=ids[-1] + 10)["gap"] == {"after": ids[-1] + 10, "resumes_after": ids[-1]}


def test_the_log_has_a_ttl_index_on_the_expiry():
    indexes = collection("notices").index_information()
    ttl = [index for index in indexes.values() if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [([("expires_at", 1)], 0)]
    assert any(index.get("unique") and index["key"] == [("recipient", 1), ("seq", 1)] for index in indexes.values())


def test_a_booking_whose_notice_a_crash_lost_gets_it_from_the_reconciler(create_event, organizer_client, customer_client, inject):
    """The request died after the booking, before its notice: its seat marker is still
    there, and the reconciler, settling it, records the notice once."""
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    # As if the request had died after the insert: drop its notice and put its marker back.
    collection("notices").delete_many({})
    booking = collection("bookings").find_one({"_id": booking_id})
    marker = {"booking": booking_id, "type": booking["ticket_type_id"], "qty": 2, "amount_cents": 1000, "at": booking["created_at"]}
    collection("events").update_one({"_id": event_id}, {"$push": {"pending": marker}})

    assert bookings_reconcile(older_than_seconds=0).get("kept") == 1
    bookings_reconcile(older_than_seconds=0)

    [notice] = notices_of(organizer_client)["results"]
    assert (notice["type"], notice["data"]["booking_id"], notice["data"]["qty"]) == ("booking.created", booking_id, 2)


def test_a_cancellation_whose_notice_a_crash_lost_gets_it_from_the_reconciler(create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    assert customer_client.post(f"/bookings/{booking_id}/cancel").status_code == 200
    collection("notices").delete_many({"kind": "booking.cancelled"})

    assert bookings_reconcile(older_than_seconds=0)["notices_recorded"] == 1
    assert "notices_recorded" not in bookings_reconcile(older_than_seconds=0)

    kinds = [(n["type"], n["data"]["booking_id"]) for n in notices_of(organizer_client)["results"]]
    assert kinds == [("booking.created", booking_id), ("booking.cancelled", booking_id)]


def test_an_event_cancellation_whose_notices_a_crash_lost_gets_them_from_the_reconciler(
    create_event, organizer_client, customer_client, client_for, make_user
):
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    other = client_for(make_user())
    for client in (customer_client, other, customer_client):
        assert book(client, event_id, 1).status_code == 201
    assert organizer_client.post(f"/events/{event_id}/cancel", {"reason": "Rain"}, format="json").status_code == 200
    told = notices_of(customer_client)["results"]
    assert [(n["type"], n["data"]["reason"]) for n in told] == [("event.cancelled", "Rain")]
    # As if the process had died after the cascade, before telling one of the two customers.
    collection("notices").delete_many({"kind": "event.cancelled", "recipient": str(customer_client.user.pk)})

    assert bookings_reconcile(older_than_seconds=0)["notices_recorded"] == 1
    assert "notices_recorded" not in bookings_reconcile(older_than_seconds=0)

    [notice] = notices_of(customer_client)["results"]
    assert (notice["type"], notice["data"]["event_id"]) == ("event.cancelled", event_id)
    assert notices_of(other)["count"] == 1
