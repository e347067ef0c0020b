"""Failures and kills at each step of giving freed seats to the line (waitlist/offers.py):
the seats are never lost, and the reconciler finishes the offer and announces it."""

import httpx
import pytest

from bookings.services import bookings_reconcile
from tests.helpers import assert_seats_add_up, book_through, event_doc, line_of, post_as, token_for
from tests.realtime.clients import WAIT


def state(event_id, entry_id):
    return next(e for e in line_of(event_id) if e["id"] == entry_id)


def test_failing_before_the_offer_leaves_the_seats_on_sale_for_the_reconciler_to_offer(inject, sold_out, in_line):
    event_id, (cancel,) = sold_out(1)
    waiting = in_line(event_id)
    inject("waitlist_before_offer")
    cancel()
    assert state(event_id, waiting.entry["id"])["state"] == "WAITING"
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["types"][0]["waitlist_waiting"]) == (1, 1)
    inject("")
    assert bookings_reconcile(older_than_seconds=0) == {"offers": 1}
    assert state(event_id, waiting.entry["id"])["state"] == "OFFERED"
    assert assert_seats_add_up(event_id)["seats_held"] == 1


def test_failing_after_the_offer_keeps_it_and_the_reconciler_announces_it(inject, sold_out, in_line):
    event_id, (cancel,) = sold_out(1)
    waiting = in_line(event_id)
    inject("waitlist_after_offer")
    cancel()
    entry = state(event_id, waiting.entry["id"])
    assert (entry["state"], entry["notified"]) == ("OFFERED", False)
    inject("")
    assert bookings_reconcile(older_than_seconds=0) == {"offers_announced": 1}
    assert state(event_id, waiting.entry["id"])["notified"] is True
    assert bookings_reconcile(older_than_seconds=0) == {}
    assert_seats_add_up(event_id)


@pytest.mark.parametrize(
    "point",
    ["cancel_after_mark", "cancel_after_flip", "waitlist_before_offer", "waitlist_offer_after_hold",
     "waitlist_offer_after_commit", "waitlist_after_offer"],
)
def test_a_server_killed_at_each_step_loses_no_seat_and_the_offer_still_arrives(
    point, start_server, make_user, create_event, listeners
):
    doomed = start_server(extra_env={"BOOKING_FAULT_INJECTION": f"crash:{point}", "TESTING": "1"})
    survivor = start_server()
    holder, next_in_line = make_user(), make_user()
    ears = [listeners.socketio(survivor, next_in_line), listeners.websocket(survivor, next_in_line)]
    ears[1].ready()
    event_id = create_event(publish=True, capacity=2, price="10.00")["id"]
    booking = book_through(survivor, holder, event_id, qty=2)
    entry = post_as(survivor, next_in_line, f"/events/{event_id}/waitlist", {"qty": 2}, status=201)

    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{doomed.url}/bookings/{booking['id']}/cancel", headers={"Authorization": f"Bearer {token_for(holder)}"}, timeout=WAIT)
    doomed.proc.wait(WAIT)
    assert doomed.proc.returncode == 99

    bookings_reconcile(older_than_seconds=0)

    for client in ears:
        offer = client.wait_for("waitlist.offer")
        assert offer["entry_id"] == entry["id"] and offer["qty"] == 2
    event = assert_seats_add_up(event_id)
    assert (event["seats_available"], event["seats_held"], event["tickets_sold"]) == (0, 2, 0)
    assert state(event_id, entry["id"])["state"] == "OFFERED"


@pytest.mark.parametrize(
    "point, in_line_after",
    [("waitlist_join_after_count", False), ("waitlist_join_after_insert", True),
     ("waitlist_leave_after_mark", False), ("waitlist_leave_after_commit", False)],
)
def test_a_server_killed_joining_or_leaving_leaves_the_line_and_its_count_in_step(
    point, in_line_after, start_server, make_user, create_event
):
    """Killed between the event's count and the entry (or back): the reconciler settles the
    marker, the type's count equals its WAITING entries, and the customer is in line exactly
    when the step's commit landed (a leave whose marker was pushed is finished)."""
    doomed = start_server(extra_env={"BOOKING_FAULT_INJECTION": f"crash:{point}", "TESTING": "1"})
    survivor = start_server()
    holder, customer, behind = make_user(), make_user(), make_user()
    event_id = create_event(publish=True, capacity=2, price="10.00")["id"]
    booking = book_through(survivor, holder, event_id, qty=2)
    headers = {"Authorization": f"Bearer {token_for(customer)}"}
    if point.startswith("waitlist_join"):
        with pytest.raises(httpx.HTTPError):
            httpx.post(f"{doomed.url}/events/{event_id}/waitlist", json={"qty": 1}, headers=headers, timeout=WAIT)
    else:
        entry = post_as(survivor, customer, f"/events/{event_id}/waitlist", {"qty": 1}, status=201)
        with pytest.raises(httpx.HTTPError):
            httpx.delete(f"{doomed.url}/waitlist/{entry['id']}", headers=headers, timeout=WAIT)
    doomed.proc.wait(WAIT)
    assert doomed.proc.returncode == 99
    post_as(survivor, behind, f"/events/{event_id}/waitlist", {"qty": 1}, status=201)

    bookings_reconcile(older_than_seconds=0)
    assert event_doc(event_id)["pending"] == []
    assert_seats_add_up(event_id)
    mine = httpx.get(f"{survivor.url}/waitlist/me", headers=headers, timeout=WAIT).json()["results"]
    assert [e["state"] for e in mine] == (["WAITING"] if in_line_after else [])
    # The line still works: a freed seat goes to the first one waiting.
    post_as(survivor, holder, f"/bookings/{booking['id']}/cancel")
    first = customer if in_line_after else behind
    offered = httpx.get(f"{survivor.url}/waitlist/me", headers={"Authorization": f"Bearer {token_for(first)}"}, timeout=WAIT)
    assert [e["state"] for e in offered.json()["results"]] == ["OFFERED"]
    assert_seats_add_up(event_id)
