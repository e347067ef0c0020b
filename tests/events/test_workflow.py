"""Create, edit, publish, cancel: every legal and illegal step of DRAFT -> PUBLISHED -> CANCELLED."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.mongo import collection
from events.models import Event
from tests.helpers import event_body, event_doc, iso, sell


def test_create_makes_a_draft_owned_by_the_caller(organizer_client, organizer):
    response = organizer_client.post("/events", event_body(price="19.99", tags=["Jazz", "jazz", "late-night"]), format="json")
    assert response.status_code == 201
    event = response.json()
    assert event["id"] == "EVT-0001"
    assert event["status"] == "DRAFT"
    assert event["price"] == "19.99"
    assert event["tags"] == ["jazz", "late-night"]
    assert event["capacity"] == event["seats_available"] == 50
    assert event["tickets_sold"] == 0 and event["revenue"] == "0.00"
    assert event["organizer_id"] == str(organizer.pk)
    doc = event_doc("EVT-0001")
    assert doc["price_cents"] == 1999
    assert doc["city_key"] == "lyon" and doc["title_key"] == "jazz night"
    assert organizer_client.post("/events", event_body(), format="json").json()["id"] == "EVT-0002"


def test_an_event_written_by_pymongo_reads_back_through_the_orm(organizer_client, organizer):
    event = organizer_client.post("/events", event_body(), format="json").json()
    row = Event.objects.get(pk=event["id"])
    assert row.organizer_id == organizer.pk
    assert row.title == "Jazz Night" and row.tags == ["jazz", "live"]
    assert row.starts_at == datetime.fromisoformat(event["starts_at"])
    assert row.price_cents == 1250 and row.capacity == row.seats_available == 50
    assert row.status == "DRAFT" and row.pending == []


def test_a_draft_needs_only_a_title_and_capacity(organizer_client):
    response = organizer_client.post("/events", {"title": "Someday", "capacity": 3}, format="json")
    assert response.status_code == 201
    event = response.json()
    assert event["starts_at"] is None and event["city"] == "" and event["price"] == "0.00"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"capacity": None}, "capacity"),
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"price": "-1.00"}, "price"),
        ({"price": "1.005"}, "price"),
        ({"price": "abc"}, "price"),
        ({"starts_at": "2031-01-01T20:00:00"}, "starts_at"),
        ({"starts_at": "next friday"}, "starts_at"),
        ({"tags": ["no spaces"]}, "tags"),
        ({"tags": "jazz"}, "tags"),
        ({"city": ""}, "city"),
        ({"seats_available": 10}, "seats_available"),
        ({"status": "PUBLISHED"}, "status"),
        ({"organizer_id": "x"}, "organizer_id"),
    ],
)
def test_create_rejects_bad_input_per_field(organizer_client, body, field):
    payload = event_body(**{key: value for key, value in body.items() if value is not None})
    for key, value in body.items():
        if value is None:
            payload.pop(key)
    response = organizer_client.post("/events", payload, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert event_doc("EVT-0001") is None


def test_publish_a_complete_future_draft(organizer_client, draft_event):
    response = organizer_client.post(f"/events/{draft_event['id']}/publish")
    assert response.status_code == 200
    assert response.json()["status"] == "PUBLISHED"
    assert response.json()["published_at"] is not None
    assert event_doc(draft_event["id"])["status"] == "PUBLISHED"


def test_publish_twice_is_409(organizer_client, published_event):
    response = organizer_client.post(f"/events/{published_event['id']}/publish")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition" and error["status"] == "PUBLISHED"
    assert "PUBLISHED" in error["message"]


def test_publish_a_cancelled_event_is_409(organizer_client, draft_event):
    organizer_client.post(f"/events/{draft_event['id']}/cancel")
    response = organizer_client.post(f"/events/{draft_event['id']}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert event_doc(draft_event["id"])["status"] == "CANCELLED"


def test_publish_an_incomplete_draft_is_409_naming_what_is_missing(organizer_client):
    event = organizer_client.post("/events", {"title": "Someday", "capacity": 3, "city": "Lyon"}, format="json").json()
    response = organizer_client.post(f"/events/{event['id']}/publish")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "event_incomplete"
    assert error["missing"] == ["venue", "starts_at"]
    assert "venue" in error["message"] and "starts_at" in error["message"]
    assert event_doc(event["id"])["status"] == "DRAFT"


def test_publish_a_draft_that_starts_in_the_past_is_409(organizer_client, draft_event):
    past = iso(datetime.now(UTC) - timedelta(hours=1))
    assert organizer_client.patch(f"/events/{draft_event['id']}", {"starts_at": past}, format="json").status_code == 200
    response = organizer_client.post(f"/events/{draft_event['id']}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "starts_in_past"
    assert event_doc(draft_event["id"])["status"] == "DRAFT"


@pytest.mark.parametrize("fixture", ["draft_event", "published_event"])
def test_cancel_records_when_and_why(request, organizer_client, fixture):
    event = request.getfixturevalue(fixture)
    response = organizer_client.post(f"/events/{event['id']}/cancel", {"reason": "The band is ill"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "CANCELLED" and body["cancel_reason"] == "The band is ill"
    doc = event_doc(event["id"])
    assert doc["status"] == "CANCELLED" and doc["cancel_reason"] == "The band is ill"
    assert doc["cancelled_at"] is not None


def test_cancel_without_a_reason(organizer_client, published_event):
    response = organizer_client.post(f"/events/{published_event['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "" and response.json()["cancelled_at"] is not None


def test_cancel_twice_is_409_and_keeps_the_first(organizer_client, published_event):
    organizer_client.post(f"/events/{published_event['id']}/cancel", {"reason": "first"}, format="json")
    first = event_doc(published_event["id"])
    response = organizer_client.post(f"/events/{published_event['id']}/cancel", {"reason": "second"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert event_doc(published_event["id"]) == first


def test_cancel_rejects_unknown_fields(organizer_client, published_event):
    response = organizer_client.post(f"/events/{published_event['id']}/cancel", {"why": "rain"}, format="json")
    assert response.status_code == 400
    assert "why" in response.json()["error"]["fields"]
    assert event_doc(published_event["id"])["status"] == "PUBLISHED"


def test_a_cancelled_event_stays_visible(api, organizer_client, published_event):
    organizer_client.post(f"/events/{published_event['id']}/cancel")
    response = api.get(f"/events/{published_event['id']}")
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"


@pytest.mark.parametrize("fixture", ["draft_event", "published_event"])
def test_patch_edits_drafts_and_published_events(request, organizer_client, fixture):
    event = request.getfixturevalue(fixture)
    changes = {"title": "Blues Night", "city": "PARIS", "venue": "Olympia", "tags": ["blues"], "price": "20.00", "description": ""}
    response = organizer_client.patch(f"/events/{event['id']}", changes, format="json")
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in changes} == changes
    assert body["status"] == event["status"]
    doc = event_doc(event["id"])
    assert doc["city_key"] == "paris" and doc["title_key"] == "blues night" and doc["price_cents"] == 2000


def test_patch_a_cancelled_event_is_409(organizer_client, published_event):
    organizer_client.post(f"/events/{published_event['id']}/cancel")
    response = organizer_client.patch(f"/events/{published_event['id']}", {"title": "Back on"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_cancelled"
    assert event_doc(published_event["id"])["title"] == "Jazz Night"


def test_capacity_moves_seats_available_with_it(organizer_client, published_event):
    sell(published_event["id"], 10)
    response = organizer_client.patch(f"/events/{published_event['id']}", {"capacity": 80}, format="json")
    assert response.status_code == 200
    assert response.json()["capacity"] == 80 and response.json()["seats_available"] == 70
    response = organizer_client.patch(f"/events/{published_event['id']}", {"capacity": 10}, format="json")
    assert response.status_code == 200
    assert response.json()["seats_available"] == 0
    doc = event_doc(published_event["id"])
    assert doc["capacity"] == 10 and doc["seats_available"] == 0 and doc["tickets_sold"] == 10


def test_capacity_below_tickets_sold_is_409_saying_how_many(organizer_client, published_event):
    sell(published_event["id"], 30)
    response = organizer_client.patch(f"/events/{published_event['id']}", {"capacity": 29, "title": "Smaller"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "capacity_below_sold"
    assert error["tickets_sold"] == 30 and "30" in error["message"]
    doc = event_doc(published_event["id"])
    assert doc["capacity"] == 50 and doc["seats_available"] == 20 and doc["title"] == "Jazz Night"


def test_a_published_start_cannot_move_into_the_past(organizer_client, published_event):
    past = iso(datetime.now(UTC) - timedelta(minutes=5))
    response = organizer_client.patch(f"/events/{published_event['id']}", {"starts_at": past}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "starts_in_past" and "starts_at" in error["fields"]
    assert event_doc(published_event["id"])["starts_at"].replace(tzinfo=UTC) > datetime.now(UTC)


def test_a_published_start_can_move_later(organizer_client, published_event):
    later = "2032-06-01T18:30:00+02:00"
    response = organizer_client.patch(f"/events/{published_event['id']}", {"starts_at": later}, format="json")
    assert response.status_code == 200
    assert response.json()["starts_at"] == "2032-06-01T16:30:00Z"
    assert event_doc(published_event["id"])["starts_at"] == datetime(2032, 6, 1, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"capcity": 10}, "capcity"),
        ({"seats_available": 99}, "seats_available"),
        ({"tickets_sold": 0}, "tickets_sold"),
        ({"status": "DRAFT"}, "status"),
        ({"capacity": -1}, "capacity"),
        ({"title": ""}, "title"),
        ({"venue": ""}, "venue"),
        ({"starts_at": None}, "starts_at"),
        ({"price": "12.345"}, "price"),
    ],
)
def test_patch_rejects_unknown_and_invalid_fields(organizer_client, published_event, body, field):
    before = event_doc(published_event["id"])
    response = organizer_client.patch(f"/events/{published_event['id']}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert event_doc(published_event["id"]) == before


@pytest.mark.parametrize("body, field", [({"capacity": 5.0}, "capacity"), ({"capacity": "5"}, "capacity"), ({"capacity": True}, "capacity"), ({"tags": [1, 2]}, "tags")])
def test_json_types_are_not_coerced(organizer_client, body, field):
    response = organizer_client.post("/events", {"title": "Typed", "capacity": 5, **body}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert collection("events").count_documents({}) == 0


# Deleting a draft -----------------------------------------------------------------


def test_the_owner_deletes_a_draft_and_it_is_gone_everywhere(organizer_client, other_organizer_client, customer_client, draft_event, api):
    event_id = draft_event["id"]
    assert organizer_client.get(f"/events/{event_id}").status_code == 200  # cached for the owner

    for client, status in ((other_organizer_client, 404), (customer_client, 403)):
        response = client.delete(f"/events/{event_id}")
        assert response.status_code == status, response.content
        assert event_doc(event_id) is not None

    response = organizer_client.delete(f"/events/{event_id}")
    assert response.status_code == 204 and response.content == b""
    assert event_doc(event_id) is None
    assert organizer_client.get(f"/events/{event_id}").json()["error"]["code"] == "event_not_found"
    assert organizer_client.get("/events/me").json()["count"] == 0
    assert organizer_client.delete(f"/events/{event_id}").status_code == 404


def test_a_published_event_is_cancelled_not_deleted(organizer_client, other_organizer_client, published_event, api):
    event_id = published_event["id"]
    response = organizer_client.delete(f"/events/{event_id}")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "event_not_draft" and error["status"] == "PUBLISHED"
    assert f"POST /events/{event_id}/cancel" in error["message"]
    assert other_organizer_client.delete(f"/events/{event_id}").status_code == 404
    organizer_client.post(f"/events/{event_id}/cancel")
    assert organizer_client.delete(f"/events/{event_id}").json()["error"]["status"] == "CANCELLED"
    assert api.get(f"/events/{event_id}").status_code == 200
