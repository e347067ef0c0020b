"""Who may call each events endpoint, beyond the status codes of
tests/test_authorization_matrix.py: a refused write changes nothing, a draft
leaks nothing, only the owner sees sales."""

import pytest

from tests.helpers import event_body, event_doc


@pytest.fixture
def callers(api, customer_client, organizer_client, other_organizer_client):
    return {
        "anonymous": api,
        "customer": customer_client,
        "owner": organizer_client,
        "other_organizer": other_organizer_client,
    }


@pytest.mark.parametrize(
    "caller, expected",
    [("anonymous", 401), ("customer", 403), ("owner", 201), ("other_organizer", 201)],
)
def test_create_needs_an_organizer(callers, caller, expected):
    response = callers[caller].post("/events", event_body(), format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        event = response.json()
        assert event["status"] == "DRAFT"
        assert event_doc(event["id"])["organizer_id"] == callers[caller].user.pk
    else:
        assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}
        assert event_doc("EVT-0001") is None


WRITES = [
    ("patch", "", {"title": "Renamed"}),
    ("post", "/publish", None),
    ("post", "/cancel", None),
]


@pytest.mark.parametrize("method, suffix, body", WRITES)
@pytest.mark.parametrize(
    "caller, expected", [("anonymous", 401), ("customer", 403), ("other_organizer", 403), ("owner", 200)]
)
def test_writes_are_for_the_owner_only(callers, draft_event, method, suffix, body, caller, expected):
    before = event_doc(draft_event["id"])
    response = getattr(callers[caller], method)(f"/events/{draft_event['id']}{suffix}", body, format="json")
    assert response.status_code == expected, response.content
    after = event_doc(draft_event["id"])
    if expected == 200:
        assert after["updated_at"] > before["updated_at"]
    else:
        assert "error" in response.json()
        assert after == before


@pytest.mark.parametrize("method, suffix, body", WRITES)
def test_writes_to_an_unknown_event_are_404(organizer_client, method, suffix, body):
    response = getattr(organizer_client, method)(f"/events/EVT-9999{suffix}", body, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "event_not_found"


@pytest.mark.parametrize("caller", ["anonymous", "customer", "other_organizer", "owner"])
def test_anyone_reads_a_published_event_and_only_the_owner_sees_sales(callers, published_event, caller):
    response = callers[caller].get(f"/events/{published_event['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "PUBLISHED"
    assert ("tickets_sold" in body and "revenue" in body) == (caller == "owner")


@pytest.mark.parametrize("caller, expected", [("anonymous", 404), ("customer", 404), ("other_organizer", 404), ("owner", 200)])
def test_a_draft_is_visible_to_its_owner_only(callers, draft_event, caller, expected):
    response = callers[caller].get(f"/events/{draft_event['id']}")
    assert response.status_code == expected
    if expected == 404:
        # The same answer as for an id that never existed: nothing leaks.
        assert response.json() == callers[caller].get("/events/EVT-9999").json()


@pytest.mark.parametrize("caller", ["anonymous", "customer", "other_organizer", "owner"])
def test_anyone_lists_published_events(callers, published_event, caller):
    response = callers[caller].get("/events")
    assert response.status_code == 200
    assert [event["id"] for event in response.json()["results"]] == [published_event["id"]]


def test_another_organizer_sees_none_of_my_events_in_theirs(other_organizer_client, draft_event, published_event):
    response = other_organizer_client.get("/events/me")
    assert response.status_code == 200
    assert response.json()["count"] == 0 and response.json()["results"] == []
