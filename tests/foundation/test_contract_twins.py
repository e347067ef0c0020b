"""Every contract that has a hand-built twin answers what its serializer answers.

The twins: output functions (eventbooking.output.TWINS: event_json, booking_output,
booking_notice, checkin_output, checkin_notice) and input shortcuts
(eventbooking.serializers.input_twins: plain_values of SeatsInput, CheckinInput and
every QueryInput). After a story told through the API (events of several ticket types,
bookings, a cancellation, an event cancelled, check-ins), for each twin: the same JSON,
byte for byte, for every stored document; the same answer, status and body, to the same
requests with every twin switched off (the serializers alone); the same validated values
or the same 400 for good and bad bodies and queries. A twin added without a check here
fails the first test.
"""

import json
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.urls import get_resolver
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer

from bookings.serializers import BookingInput
from eventbooking.mongo import collection
from eventbooking.output import TWINS
from eventbooking.serializers import input_twins
from events.store import NO_MARKERS
from tests.helpers import book, future, iso
from tickets.serializers import CheckinInput

get_resolver().url_patterns  # every view imported, so every twin is defined


def name_of(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


# Output twin -> its arguments for each stored document.
def booking_args():
    events = {doc["_id"]: doc for doc in collection("events").find({}, NO_MARKERS)}
    return [((booking, events[booking["event_id"]]), {}) for booking in collection("bookings").find({})]


def event_args():
    return [((doc,), {"owned": owned}) for doc in collection("events").find({}, NO_MARKERS) for owned in (False, True)]


def checkin_args():
    return [((doc,), {}) for doc in collection("checkins").find({})]


OUTPUTS = {
    "bookings.serializers.booking_output": booking_args,
    "notifications.services.booking_notice": booking_args,
    "events.serializers.event_json": event_args,
    "tickets.serializers.checkin_output": checkin_args,
    "notifications.services.checkin_notice": checkin_args,
}

BOOKING_BODIES = [
    {"eventId": "EVT-0001", "qty": 1}, {"eventId": "EVT-0001", "qty": 10}, {"eventId": "EVT-0001", "qty": 11},
    {"eventId": "EVT-0001", "qty": 0}, {"eventId": "EVT-0001", "qty": True}, {"eventId": "EVT-0001", "qty": 2.0},
    {"eventId": "EVT-0001", "qty": "2"}, {"eventId": "EVT-0001"}, {"qty": 1}, {"eventId": " EVT-0001", "qty": 1},
    {"eventId": "evt-0001", "qty": 1}, {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": "TT-0002"},
    {"eventId": "EVT-0001", "qty": 1, "ticketTypeId": "TT-2"}, {"eventId": "EVT-0001", "qty": 1, "event_id": "x"},
    {"holdId": "HLD-0001"}, {"holdId": "HLD-0001", "qty": 2}, [], None, {},
]
SCAN_BODIES = [
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001"}, {"code": " ABC", "gate": "North", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "North ", "nonce": "nonce-0001"}, {"code": "ABC", "gate": "", "nonce": "nonce-0001"},
    {"code": "C" * 200, "gate": "G" * 64, "nonce": "n" * 64}, {"code": "C" * 201, "gate": "North", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "G" * 65, "nonce": "nonce-0001"}, {"code": "ABC", "gate": "North", "nonce": "short"},
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001\n"}, {"code": 1, "gate": "North", "nonce": "nonce-0001"},
    {"code": "ABC", "gate": "North", "nonce": "nonce-0001", "scanned_at": "2030-05-01T19:00:00Z"}, {"code": "ABC"}, [],
]
QUERIES = [
    "", "page=2", "page_size=100", "page_size=101", "page=0", "page=1000000", "page=1000001", "page=01", "page=-1",
    "page=1.0", "page= 3", "page=abc", "page=", "page=2&page=3", "sort=price", "sort=-title", "sort=priced",
    "sort=-", "status=DRAFT", "status=CONFIRMED", "status=CANCELLED", "status=draft", "after=0", "after=12",
    "after=-1", "sort=booked_at", "sort=-amount", "city=lyon", "unknown=1", "page=99999999999999999999",
    "page=%EF%BC%91", "page=3&page_size=7&sort=-created_at", "page_size=1000", "page_size=1001",
]
INPUTS = {  # input shortcut's class -> what it reads
    "bookings.serializers.SeatsInput": BOOKING_BODIES,
    "bookings.serializers.HoldInput": BOOKING_BODIES,
    "bookings.serializers.BookingInput": BOOKING_BODIES,
    "tickets.serializers.CheckinInput": SCAN_BODIES,
}


@contextmanager
def serializers_only():
    """Every twin switched off: the serializers do all the work."""
    inputs = [cls for cls in input_twins() if "plain_on" not in vars(cls)]
    for twin in TWINS:
        twin.by_hand_on = False
    for cls in inputs:
        cls.plain_on = False
    try:
        yield
    finally:
        for twin in TWINS:
            twin.by_hand_on = True
        for cls in inputs:
            del cls.plain_on


def test_every_twin_is_checked_here():
    from eventbooking.pagination import QueryInput

    assert {twin.name for twin in TWINS} == set(OUTPUTS)
    queries = {name_of(cls) for cls in input_twins() if issubclass(cls, QueryInput)}
    assert len(queries) >= 8  # the lists of every app, each checked against QUERIES below
    assert {name_of(cls) for cls in input_twins()} - queries == set(INPUTS)


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
    return {"main": main["id"], "single": single["id"], "draft": draft["id"], "bookings": [b["id"] for b in bookings]}


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
        (api, "get", "/events", None), (api, "get", "/events?page=2&page_size=1", None),
        (api, "get", "/events?sort=-price", None), (api, "get", "/events?page=0", None),
        (api, "get", "/events?page_size=101&sort=x", None), (api, "get", "/events?page=1&page=2", None),
        (api, "get", f"/events/{main}", None), (api, "get", f"/events/{single}", None),
        (api, "get", f"/events/{story['draft']}", None), (api, "get", "/events/EVT-9999", None),
        (organizer_client, "get", f"/events/{main}", None), (organizer_client, "get", "/events/me", None),
        (organizer_client, "get", "/events/me?status=CANCELLED", None), (organizer_client, "get", "/events/me?status=x", None),
        (customer_client, "get", "/bookings/me", None), (customer_client, "get", "/bookings/me?status=CANCELLED", None),
        (customer_client, "get", "/bookings/me?page_size=2&page=2", None), (customer_client, "get", "/bookings/me?page=x", None),
        (customer_client, "get", f"/bookings/{story['bookings'][0]}", None),
        (organizer_client, "get", f"/events/{main}/checkins", None), (organizer_client, "get", f"/events/{main}/attendees", None),
        (organizer_client, "get", "/notices", None), (organizer_client, "get", "/notices?after=1", None),
        (organizer_client, "get", "/notices?after=-1", None), (customer_client, "get", "/events?unknown=1", None),
        # Bodies the serializer refuses (a body it accepts would book or scan: not repeatable).
        *[(customer_client, "post", "/bookings", body) for body in BOOKING_BODIES if not BookingInput(data=body).is_valid()],
        *[(organizer_client, "post", f"/events/{main}/checkins", body) for body in SCAN_BODIES
          if not CheckinInput(data=body).is_valid()],
    ]

    def answers():
        seen = []
        for client, method, path, body in requests:
            response = getattr(client, method)(path, body, format="json") if method == "post" else client.get(path)
            seen.append((method, path, json.dumps(body), response.status_code, response.content))
        return seen

    with_twins = answers()
    with serializers_only():
        alone = answers()
    assert with_twins == alone
    statuses = {status for *_, status, _ in with_twins}
    assert {200, 400, 404} <= statuses  # answers, refusals and misses all compared


def outcome(cls, data):
    try:
        return "ok", dict(cls.validated(data))
    except ValidationError as error:
        return "400", error.detail


@pytest.mark.parametrize("name", sorted(INPUTS) + ["every QueryInput"])
def test_each_input_shortcut_reads_as_its_serializer_reads(name):
    from eventbooking.pagination import QueryInput

    if name == "every QueryInput":
        # (A class with plain_on false always goes through its serializer: nothing to compare.)
        lists = [cls for cls in input_twins() if issubclass(cls, QueryInput) and cls.plain_on]
        assert len(lists) >= 8
        cases = [(cls, QueryDict(text)) for cls in lists for text in QUERIES]
    else:
        cls = next(cls for cls in input_twins() if name_of(cls) == name)
        cases = [(cls, body) for body in INPUTS[name]]
    taken = 0
    for cls, data in cases:
        with_shortcut = outcome(cls, data)
        with serializers_only():
            alone = outcome(cls, data)
        assert with_shortcut == alone, (name_of(cls), data)
        taken += cls.plain_on and cls.plain_values(data) is not None
    assert taken >= 2  # the shortcut is taken for the plain cases
