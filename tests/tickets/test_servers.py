"""Check-in against real server processes sharing the database: scans of one ticket
racing from two gates on two processes, 1,000 tickets scanned at once across two
processes, and the organizer's live `checkin.created`."""

import asyncio
import itertools

import httpx
import pytest

from bookings.services import booking_create
from shared.mongo import collection
from tests.conftest import ONE_ID_AT_A_TIME
from tests.helpers import new_user, token_for
from tests.servers import DaphneServer
from tickets.codes import Ticket, code_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def second_server(django_db_setup, django_db_blocker):
    """A second daphne process beside the session's `server`, for this module's races."""
    with django_db_blocker.unblock():
        daphne = DaphneServer(extra_env=ONE_ID_AT_A_TIME).start()
    yield daphne
    daphne.stop()


def scan_all(scans):
    """POST (url, token, body) scans all at once, each on a connection of its own (httpx's
    pool is slow to hand out connections to a thousand waiting requests); the responses in order."""

    async def run():
        limits = httpx.Limits(max_connections=len(scans), max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            calls = [client.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) for url, token, body in scans]
            return await asyncio.gather(*calls)

    return asyncio.run(run())


def tickets_booked(event_id, seats):
    """`seats` tickets of the event, booked by customers 10 at a time; their codes."""
    codes = []
    while len(codes) < seats:
        qty = min(10, seats - len(codes))
        booking, _, _ = booking_create(customer=new_user(), event_id=event_id, qty=qty)
        codes += [code_for(Ticket(event_id=event_id, booking_id=booking["_id"], seat=seat, ticket_type_id=booking["ticket_type_id"]))
                  for seat in range(1, qty + 1)]
    return codes


def test_one_ticket_scanned_at_once_at_two_gates_on_two_processes_is_admitted_once(server, second_server, organizer, create_event):
    event_id = create_event(publish=True, capacity=5)["id"]
    code = tickets_booked(event_id, 1)[0]
    token = token_for(organizer)
    scans = [
        (f"{url}/events/{event_id}/checkins", token, {"code": code, "gate": gate, "nonce": f"race-{n:04d}"})
        for n, (url, gate) in enumerate(itertools.islice(itertools.cycle([(server.url, "North"), (second_server.url, "South")]), 40))
    ]
    responses = scan_all(scans)
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1 and statuses.count(409) == 39, statuses
    winner = next(r.json() for r in responses if r.status_code == 201)
    for refused in (r.json()["error"] for r in responses if r.status_code == 409):
        assert refused["code"] == "already_checked_in" and refused["gate"] == winner["gate"]
    assert collection("checkins").count_documents({"event_id": event_id}) == 1


def test_a_thousand_tickets_scanned_at_once_across_two_processes_are_each_admitted_once(server, second_server, organizer, create_event):
    event_id = create_event(publish=True, capacity=1000)["id"]
    codes = tickets_booked(event_id, 1000)
    token = token_for(organizer)
    urls = itertools.cycle([server.url, second_server.url])
    scans = [(f"{next(urls)}/events/{event_id}/checkins", token, {"code": code, "gate": f"Gate {n % 4}", "nonce": f"mass-{n:05d}"})
             for n, code in enumerate(codes)]
    statuses = [r.status_code for r in scan_all(scans)]
    assert statuses.count(201) == 1000, {status: statuses.count(status) for status in set(statuses)}
    stored = list(collection("checkins").find({"event_id": event_id}, {"_id": 1}))
    assert len(stored) == 1000 and len({doc["_id"] for doc in stored}) == 1000


def test_the_organizer_hears_each_check_in(server, organizer, create_event):
    from tests.realtime.clients import SocketIOListener

    event_id = create_event(publish=True, capacity=5)["id"]
    code = tickets_booked(event_id, 1)[0]
    listener = SocketIOListener(server.url, token_for(organizer)).connect()
    try:
        answer = httpx.post(f"{server.url}/events/{event_id}/checkins", json={"code": code, "gate": "VIP door", "nonce": "heard-0001"},
                            headers={"Authorization": f"Bearer {token_for(organizer)}"})
        assert answer.status_code == 201, answer.text
        heard = listener.wait_for("checkin.created")
    finally:
        listener.close()
    checkin = answer.json()
    assert heard == {key: checkin[key] for key in ("ticket_id", "event_id", "booking_id", "ticket_type_id", "ticket_type_name",
                                                   "gate", "scanned_at", "checked_in_at")}
