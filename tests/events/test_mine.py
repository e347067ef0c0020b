"""GET /events/me: the organizer's own events in every status, with sales."""

import pytest

from tests.helpers import sell


@pytest.fixture
def mine(create_event, organizer_client, other_organizer_client):
    draft = create_event(title="Draft")["id"]
    published = create_event(publish=True, title="Published", price="10.00")["id"]
    cancelled = create_event(publish=True, title="Cancelled")["id"]
    organizer_client.post(f"/events/{cancelled}/cancel")
    create_event(client=other_organizer_client, publish=True, title="Not mine")
    return {"draft": draft, "published": published, "cancelled": cancelled}


def ids(response):
    assert response.status_code == 200, response.content
    return [event["id"] for event in response.json()["results"]]


def test_every_status_newest_first_with_sales(organizer_client, mine):
    sell(mine["published"], 3, price_cents=1000)
    response = organizer_client.get("/events/me")
    assert ids(response) == [mine["cancelled"], mine["published"], mine["draft"]]
    body = response.json()
    assert body["count"] == 3 and body["pages"] == 1 and body["next"] is None
    published = body["results"][1]
    assert published["status"] == "PUBLISHED"
    assert published["tickets_sold"] == 3 and published["revenue"] == "30.00" and published["seats_available"] == 47
    assert body["results"][2]["tickets_sold"] == 0 and body["results"][2]["revenue"] == "0.00"


@pytest.mark.parametrize("status", ["DRAFT", "PUBLISHED", "CANCELLED"])
def test_status_filter(organizer_client, mine, status):
    response = organizer_client.get("/events/me", {"status": status})
    assert ids(response) == [mine[status.lower()]]
    assert response.json()["results"][0]["status"] == status


def test_the_public_filters_and_sorts_apply_too(organizer_client, mine):
    assert ids(organizer_client.get("/events/me", {"sort": "title"})) == [mine["cancelled"], mine["draft"], mine["published"]]
    assert ids(organizer_client.get("/events/me", {"q": "publ"})) == [mine["published"]]
    assert ids(organizer_client.get("/events/me", {"q": "publ", "status": "DRAFT"})) == []


def test_paginated_like_the_public_list(organizer_client, create_event):
    created = [create_event()["id"] for _ in range(5)]
    first = organizer_client.get("/events/me", {"page_size": 2}).json()
    assert first["count"] == 5 and first["pages"] == 3 and first["next"] == 2
    last = organizer_client.get("/events/me", {"page_size": 2, "page": 3}).json()
    assert [event["id"] for event in last["results"]] == [created[0]] and last["next"] is None
    beyond = organizer_client.get("/events/me", {"page_size": 2, "page": 9}).json()
    assert beyond["results"] == [] and beyond["count"] == 5


@pytest.mark.parametrize(
    "query, parameter",
    [("status=draft", "status"), ("status=ARCHIVED", "status"), ("page_size=500", "page_size"), ("sort=status", "sort"), ("owner=me", "owner")],
)
def test_malformed_parameters_are_400(organizer_client, mine, query, parameter):
    response = organizer_client.get(f"/events/me?{query}")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [parameter]
