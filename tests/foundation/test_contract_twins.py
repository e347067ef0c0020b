"""Every contract that has a hand-built twin answers what its serializer answers.

The twins (shared.output.TWINS): event_json, booking_output, booking_notice.
After a story told through the API (events of several ticket types, bookings, a
cancellation, an event cancelled, check-ins), for each twin: the same fields in the
same order and the same JSON, byte for byte, for every stored document; and the same
answer, status and body, to the same requests with every twin switched off (the
serializers alone). A twin added without a check here fails the first test.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.urls import get_resolver
from rest_framework.renderers import JSONRenderer

from shared.mongo import collection
from shared.output import TWINS
from events.store import NO_MARKERS
from tests.helpers import book, future, iso

get_resolver().url_patterns  # every view imported, so every twin is defined


# Output twin -> its arguments for each stored document.
def booking_args():
    events = {doc["_id"]: doc for doc in collection("events").find({}, NO_MARKERS)}
    return [((booking, events[booking["event_id"]]), {}) for booking in collection("bookings").find({})]


def event_args():
    return [((doc,), {"owned": owned}) for doc in collection("events").find({}, NO_MARKERS) for owned in (False, True)]


OUTPUTS = {
    "bookings.serializers.booking_output": booking_args,
    "notifications.services.booking_notice": booking_args,
    "events.output.event_json": event_args,
}


@contextmanager
def serializers_only():
    """Every twin switched off: the serializers do all the work."""
    for twin in TWINS:
        twin.by_hand_on = False
    try:
        yield
    finally:
        for twin in TWINS:
            twin.by_hand_on = True


def test_every_twin_is_checked_here():
    assert {twin.name for twin in TWINS} == set(OUTPUTS)


@pytest.fixture
def story(settings, organizer, organizer_client, customer, customer_client, client_for, create_event):
    """Events, bookings, a cancellation, a cancelled event and check-ins, through the API.
    The listings' memo is off, so every answer is rendered again."""
    settings.EVENT_JSON_MEMO_SIZE = 0
    types = [
        {"name": "Balcon « côté jardin »", "price": "40.00", "capacity": 30, "max_per_booking": 4, "sort_order": 2},
        {"name": "Standing", "price": "0.00", "capacity": 100, "sales_end": iso(future(days=20))},
        {"name": "Later", "price": "12.50", "capacity": 5, "sales_start": iso(future(days=2))},
    ]
    main = create_event(publish=True, capacity=None, price=None, types=types, tags=["jazz", "a-b"])
    single = create_event(publish=True, capacity=10, price="9.99", title="Single")
    draft = create_event(title="Draft only", starts_at=iso(future(days=3) + timedelta(milliseconds=123)))
    bookings = []
    type_ids = {ticket_type["name"]: ticket_type["id"] for ticket_type in main["types"]}
    for name, qty in ((types[0]["name"], 4), ("Standing", 2), ("Standing", 1)):
        response = book(customer_client, main["id"], qty, ticket_type_id=type_ids[name])
        assert response.status_code == 201, response.content
        bookings.append(response.json())
    assert book(customer_client, single["id"], 3).status_code == 201
    assert customer_client.post(f"/bookings/{bookings[2]['id']}/cancel").status_code == 200
    assert organizer_client.post(f"/events/{single['id']}/cancel", {"reason": "Storm"}, format="json").status_code == 200
    tickets = customer_client.get(f"/bookings/{bookings[0]['id']}/tickets").json()["results"]
    for n, ticket in enumerate(tickets[:3]):
        body = {"code": ticket["code"], "gate": f"Gate {n}", "nonce": f"scan-{n:06d}"}
        assert organizer_client.post(f"/events/{main['id']}/checkins", body, format="json").status_code == 201
    return {"main": main["id"], "single": single["id"], "draft": draft["id"], "standing": type_ids["Standing"], "bookings": [b["id"] for b in bookings]}


def test_each_output_twin_renders_every_stored_document_as_its_serializer(story):
    for twin in TWINS:
        cases = OUTPUTS[twin.name]()
        assert len(cases) >= 3, twin.name
        for args, kwargs in cases:
            by_hand, serialized = twin.by_hand(*args, **kwargs), twin.serialize(*args, **kwargs)
            assert list(by_hand) == list(serialized), twin.name  # the same fields, in the same order
            assert JSONRenderer().render(by_hand) == JSONRenderer().render(serialized), (twin.name, args[0]["_id"])


def test_requests_answer_the_same_with_the_serializers_alone(story, organizer_client, customer_client, api):
    main, single = story["main"], story["single"]
    requests = [
        (api, "/events"), (api, "/events?page=2&page_size=1"),
        (api, "/events?sort=-price"), (api, "/events?page=0"),
        (api, "/events?page_size=101&sort=x"), (api, "/events?page=1&page=2"),
        (api, f"/events/{main}"), (api, f"/events/{single}"),
        (api, f"/events/{story['draft']}"), (api, "/events/EVT-9999"),
        (organizer_client, f"/events/{main}"), (organizer_client, "/events/me"),
        (organizer_client, "/events/me?status=CANCELLED"), (organizer_client, "/events/me?status=x"),
        (customer_client, "/bookings/me"), (customer_client, "/bookings/me?status=CANCELLED"),
        (customer_client, "/bookings/me?page_size=2&page=2"), (customer_client, "/bookings/me?page=x"),
        (customer_client, f"/bookings/{story['bookings'][0]}"),
        (organizer_client, f"/events/{main}/checkins"), (organizer_client, f"/events/{main}/attendees"),
        (organizer_client, "/notices"), (organizer_client, "/notices?after=1"),
        (organizer_client, "/notices?after=-1"), (customer_client, "/events?unknown=1"),
    ]

    def answers():
        seen = []
        for client, path in requests:
            response = client.get(path)
            seen.append((path, response.status_code, response.content))
        return seen

    with_twins = answers()
    with serializers_only():
        alone = answers()
    assert with_twins == alone
    statuses = {status for _, status, _ in with_twins}
    assert {200, 400, 404} <= statuses  # answers, refusals and misses all compared

    # A booking answered and announced by hand, then one by the serializers: alike but
    # for the booking's own id and moment.
    answered = [book(customer_client, main, 2, ticket_type_id=story["standing"])]
    with serializers_only():
        answered.append(book(customer_client, main, 2, ticket_type_id=story["standing"]))
    assert [response.status_code for response in answered] == [201, 201]
    notices = organizer_client.get("/notices").json()["results"][-2:]
    for pair in ([response.json() for response in answered], [notice["data"] for notice in notices]):
        assert list(pair[0]) == list(pair[1])
        own = {"id", "booking_id", "created_at", "seats_available", "ticket_types"}
        assert {k: v for k, v in pair[0].items() if k not in own} == {k: v for k, v in pair[1].items() if k not in own}
    assert [notice["type"] for notice in notices] == ["booking.created"] * 2
