"""docs/api.md's offline scanner, run as written against a real server process: it
verifies codes with the published keys and `cryptography` alone (none of the service's
code), syncs revocations, and uploads its scans twice."""

import re
from pathlib import Path

import pytest

from tests.helpers import book_through, new_user, post_as, token_for
from tests.tickets.forge import number, signed_by_another_key, with_byte_changed

ROOT = Path(__file__).resolve().parents[2]
HEADING = "### An offline scanner"

pytestmark = pytest.mark.slow


def scanner_example():
    """The namespace docs/api.md's scanner example defines (its first ```python block after the heading)."""
    text = (ROOT / "docs" / "api.md").read_text()
    block = re.search(r"^```python\n(.*?)^```", text[text.index(HEADING):], re.S | re.M).group(1)
    namespace = {"__name__": "scanner_example"}
    exec(compile(block, "docs/api.md (offline scanner)", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


def tickets_through(server, customer, booking_id):
    import httpx

    answer = httpx.get(f"{server.url}/bookings/{booking_id}/tickets", headers={"Authorization": f"Bearer {token_for(customer)}"})
    assert answer.status_code == 200, answer.text
    return [ticket["code"] for ticket in answer.json()["results"]]


def test_the_documented_offline_scanner_verifies_syncs_and_uploads_twice(server, organizer, create_event, client_for):
    example = scanner_example()
    event_id = create_event(publish=True, capacity=20)["id"]
    other_event = create_event(publish=True, capacity=5, title="Elsewhere")["id"]
    alice, bob = new_user(), new_user()
    kept = book_through(server, alice, event_id, qty=3)
    dropped = book_through(server, bob, event_id, qty=2)
    elsewhere = book_through(server, bob, other_event, qty=1)
    codes = tickets_through(server, alice, kept["id"])
    dropped_codes = tickets_through(server, bob, dropped["id"])
    foreign = tickets_through(server, bob, elsewhere["id"])[0]
    post_as(server, bob, f"/bookings/{dropped['id']}/cancel")
    door = new_user()
    post_as(server, organizer, f"/events/{event_id}/door-staff", {"email": door.email}, status=201)

    scanner = example["OfflineScanner"](server.url, token_for(door), event_id, "Side door")
    scanner.sync()
    assert set(scanner.keys) == {int(key["kid"]) for key in published_keys(server)}
    assert scanner.revoked == {f"{dropped['id']}-1", f"{dropped['id']}-2"}

    # Offline from here.
    ticket = example["read_code"](codes[0], scanner.keys)
    assert ticket == {"event_id": event_id, "ticket_id": f"{kept['id']}-1", "ticket_type_id": kept["ticket_type_id"]}
    assert [scanner.scan(code) for code in codes] == ["admit"] * 3
    assert scanner.scan(codes[1]) == "already admitted here"
    assert scanner.scan(dropped_codes[0]) == "revoked"
    assert scanner.scan(foreign) == f"a ticket for {other_event}"
    assert scanner.scan(with_byte_changed(codes[0], 11, 0x55)) == "not a genuine ticket"
    fields = dict(event=number(event_id), booking=number(kept["id"]), seat=1, ticket_type=number(kept["ticket_type_id"]))
    assert scanner.scan(signed_by_another_key(kid=1, **fields)) == "not a genuine ticket"
    assert scanner.scan("not a code") == "not a genuine ticket"

    # Back online: upload; the connection drops before the answer, so it uploads again.
    unsent = list(scanner.unsent)
    first = scanner.upload()
    assert [answer["status"] for answer in first] == [201, 201, 201]
    scanner.unsent = unsent
    assert scanner.upload() == first
    listed = post_get(server, organizer, f"/events/{event_id}/checkins")
    assert listed["checked_in"] == 3 and listed["by_gate"] == [{"gate": "Side door", "checked_in": 3}]

    # A later cancellation reaches the next sync (since the last one).
    post_as(server, alice, f"/bookings/{kept['id']}/cancel")
    scanner.sync()
    assert {f"{kept['id']}-1", f"{dropped['id']}-1"} <= scanner.revoked


def published_keys(server):
    import httpx

    return httpx.get(f"{server.url}/.well-known/ticket-keys").json()["keys"]


def post_get(server, user, path):
    import httpx

    answer = httpx.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {token_for(user)}"})
    assert answer.status_code == 200, answer.text
    return answer.json()
