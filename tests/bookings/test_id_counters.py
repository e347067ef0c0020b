"""A counter that fell behind the ids in use (a restore from a backup, a failover that
rolled its last increments back): no public id is handed out twice, and no booking is
touched by a request that did not make it (shared/ids.py)."""

import hashlib
import io
import itertools
import json
from datetime import timedelta

import httpx
import jwt
import pytest
from django.core.management import call_command

from bookings.services import bookings_reconcile
from shared.ids import blocks_forget
from shared.mongo import collection
from shared.timeutil import now
from tests.bookings.test_servers import send_all
from tests.helpers import assert_invariant, book, event_doc, make_customers

KEY = "0c4a1d52-5b43-4a8e-8f0e-7d3c2b1a0f99"


def move_counters_back(*prefixes, to=0):
    """What a restore of an old backup of the counters does. The test process forgets its
    own numbers too, as a process started after the restore would have none."""
    for prefix in prefixes:
        collection("counters").update_one({"_id": prefix}, {"$set": {"value": to}})
    blocks_forget()


def test_a_booking_whose_id_is_taken_takes_a_fresh_one_and_leaves_the_other_alone(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    first = book(customer_client, event_id, 2).json()
    move_counters_back("BK")
    other = book(client_for(make_user()), event_id, 3)
    assert other.status_code == 201, other.content
    assert other.json()["id"] != first["id"]
    mine = collection("bookings").find_one({"_id": first["id"]})
    assert (mine["status"], mine["qty"], mine["customer_id"]) == ("CONFIRMED", 2, customer_client.user.pk)
    event, rows = assert_invariant(event_id)
    assert event["seats_available"] == 5 and len(rows) == 2
    # The counter moved past every id in use: the next booking collides with nothing.
    assert collection("counters").find_one({"_id": "BK"})["value"] >= int(other.json()["id"][3:])


def test_an_interrupted_booking_under_a_taken_id_gives_its_seats_back_and_cancels_nothing(
    inject, create_event, customer_client, client_for, make_user
):
    """Its rollback finds another customer's booking under its id: that booking is not
    ours to settle (it used to be read as an interrupted cancellation and cancelled)."""
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    first = book(customer_client, event_id, 2).json()
    move_counters_back("BK")
    inject("after_reserve")
    assert book(client_for(make_user()), event_id, 3).status_code == 500
    assert collection("bookings").find_one({"_id": first["id"]})["status"] == "CONFIRMED"
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 8


@pytest.mark.slow
def test_the_reconciler_gives_back_a_dead_booking_marker_whose_id_is_another_booking(start_server, create_event, customer_client):
    """A process started after the counter went back takes the taken id and dies between
    its reservation and its insert: the marker names another customer's booking."""
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    first = book(customer_client, event_id, 2).json()
    move_counters_back("BK")
    crashing = start_server(extra_env={"TESTING": "1", "BOOKING_FAULT_INJECTION": "crash:after_reserve"})
    [token] = make_customers(1)
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{crashing.url}/bookings", json={"eventId": event_id, "qty": 3}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    crashing.proc.wait(30)
    assert [m["booking"] for m in event_doc(event_id)["pending"]] == [first["id"]]
    assert bookings_reconcile(older_than_seconds=0).get("restored") == 1
    assert collection("bookings").find_one({"_id": first["id"]})["status"] == "CONFIRMED"
    event, _ = assert_invariant(event_id)
    assert event["seats_available"] == 8


def test_a_replay_never_answers_another_customers_booking(create_event, customer_client, client_for, make_user):
    """A key whose holder went silent long ago, naming an id that another customer's booking
    has (its own request never landed): the retry books for its customer."""
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    theirs = book(client_for(make_user()), event_id, 2).json()
    digest = hashlib.sha256(json.dumps({"event_id": event_id, "qty": 1}, sort_keys=True).encode()).hexdigest()
    collection("idempotency_keys").insert_one({
        "customer_id": customer_client.user.pk, "key": KEY, "request_hash": digest,
        "booking_id": theirs["id"], "created_at": now() - timedelta(minutes=5),
    })
    response = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert response.status_code == 201, response.content
    assert response.json()["id"] != theirs["id"] and response.json()["qty"] == 1
    again = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
    assert collection("bookings").find_one({"_id": theirs["id"]})["status"] == "CONFIRMED"
    assert_invariant(event_id)


def test_a_key_whose_booking_took_a_fresh_id_replays_that_booking(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    theirs = book(client_for(make_user()), event_id, 2).json()
    move_counters_back("BK")
    first = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert first.status_code == 201 and first.json()["id"] != theirs["id"]
    again = book(customer_client, event_id, 1, **{"Idempotency-Key": KEY})
    assert again.status_code == 200 and again.json() == first.json()


def test_an_event_whose_id_is_taken_takes_a_fresh_one(create_event):
    first = create_event(title="First")
    move_counters_back("EVT")
    second = create_event(title="Second")
    assert second["id"] != first["id"]
    assert event_doc(first["id"])["title"] == "First" and event_doc(second["id"])["title"] == "Second"


def test_the_reconciler_moves_counters_past_the_ids_in_use(create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    booked = book(customer_client, event_id, 1).json()["id"]
    move_counters_back("BK", "EVT", "TT")
    out = io.StringIO()
    call_command("reconcile_bookings", "--older-than", "0", stdout=out)
    assert "counters_moved=3" in out.getvalue()
    counters = {doc["_id"]: doc["value"] for doc in collection("counters").find()}
    assert counters["BK"] >= int(booked[3:]) and counters["EVT"] >= int(event_id[4:])
    assert counters["TT"] >= int(event_doc(event_id)["types"][0]["id"][3:])


@pytest.mark.slow
def test_counters_moved_back_under_live_traffic_hand_out_no_id_twice(start_server, create_event):
    """Two processes book (some with an Idempotency-Key, some from holds) while the
    counters are moved back; a third process, started after, knows no number of its own.
    Every answer names a booking of its own customer, no id twice, none touched; every
    claimed hold names the booking its claim made."""
    event_id = create_event(publish=True, capacity=400, price="10.00")["id"]
    servers = [start_server(), start_server()]
    tokens = make_customers(12)
    owner_of = {}

    def book_round(urls, count, tag, claims=()):
        """`count` bookings across `urls`, sent at once with the `claims` (POST /bookings {holdId})."""
        requests = [
            ("POST", f"{url}/bookings", token, {"eventId": event_id, "qty": 1 + n % 2},
             {"Idempotency-Key": f"{tag}-{n}"} if n % 3 == 0 else None)
            for n, url, token in zip(range(count), itertools.cycle(urls), itertools.cycle(tokens))
        ] + list(claims)
        responses = send_all(requests)
        for (_, _, token, body, _), response in zip(requests, responses):
            assert response.status_code == 201, response.text
            booking = response.json()
            assert booking["id"] not in owner_of, f"{booking['id']} handed out twice"
            owner_of[booking["id"]] = (token, body.get("qty", 1))
            if "holdId" in body:
                claimed[body["holdId"]] = booking["id"]
        return responses

    def hold_and_book(url, token):
        headers = {"Authorization": f"Bearer {token}"}
        hold = httpx.post(f"{url}/holds", json={"eventId": event_id, "qty": 1}, headers=headers, timeout=30)
        assert hold.status_code == 201, hold.text
        booked = httpx.post(f"{url}/bookings", json={"holdId": hold.json()["id"]}, headers=headers, timeout=30)
        assert booked.status_code == 201, booked.text
        assert booked.json()["id"] not in owner_of
        owner_of[booked.json()["id"]] = (token, 1)
        return hold.json()["id"]

    claimed = {}  # hold id -> the booking its claim answered
    book_round([s.url for s in servers], 60, "before")
    holds = {hold_and_book(servers[0].url, tokens[0])}
    # A hold per customer, claimed after the counters went back.
    to_claim = []
    for n, token in enumerate(tokens):
        hold = httpx.post(f"{servers[n % 2].url}/holds", json={"eventId": event_id, "qty": 1}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert hold.status_code == 201, hold.text
        to_claim.append((hold.json()["id"], token))
    before = {doc["_id"]: doc for doc in collection("bookings").find()}
    move_counters_back("BK", "HLD")
    servers.append(start_server())
    # The new process knows no number: its claims race for ids other bookings have.
    first_claims = [("POST", f"{servers[2].url}/bookings", token, {"holdId": hold_id}, None) for hold_id, token in to_claim[:6]]
    book_round([], 0, "claims", first_claims)
    move_counters_back("BK")
    more_claims = [("POST", f"{url}/bookings", token, {"holdId": hold_id}, None)
                   for (hold_id, token), url in zip(to_claim[6:], itertools.cycle(s.url for s in servers))]
    book_round([s.url for s in servers], 90, "after", more_claims)
    # Holds live in their event only until booked: a process remembers the hold numbers it took.
    for server in servers:
        hold_id = hold_and_book(server.url, tokens[1])
        assert hold_id not in holds
        holds.add(hold_id)

    after = {doc["_id"]: doc for doc in collection("bookings").find()}
    for booking_id, doc in before.items():
        assert after[booking_id] == doc, "a booking was changed by a request that did not make it"
    assert set(after) == set(owner_of)
    for booking_id, (token, qty) in owner_of.items():
        assert after[booking_id]["status"] == "CONFIRMED" and after[booking_id]["qty"] == qty
        customer_id = jwt.decode(token, options={"verify_signature": False})["user_id"]
        assert str(after[booking_id]["customer_id"]) == customer_id, f"{booking_id} is another customer's"
    # Each claimed hold names the booking that has it, which its customer can read.
    assert set(claimed) == {hold_id for hold_id, _ in to_claim}
    for hold_id, token in to_claim:
        hold = collection("holds").find_one({"_id": hold_id})
        assert (hold["state"], hold["booking"]) == ("BOOKED", claimed[hold_id]), hold
        got = httpx.get(f"{servers[2].url}/bookings/{claimed[hold_id]}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert got.status_code == 200 and got.json()["id"] == claimed[hold_id], got.text
    assert set(claimed.values()) & set(before) == set()
    event, rows = assert_invariant(event_id)
    assert len(rows) == len(owner_of)
    assert collection("counters").find_one({"_id": "BK"})["value"] >= max(int(b[3:]) for b in owner_of)


def test_a_hold_whose_id_is_taken_takes_a_fresh_one_and_leaves_the_other_alone(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    first = customer_client.post("/holds", {"eventId": event_id, "qty": 2}, format="json").json()
    move_counters_back("HLD")
    other_client = client_for(make_user())
    other = other_client.post("/holds", {"eventId": event_id, "qty": 3}, format="json")
    assert other.status_code == 201, other.content
    assert other.json()["id"] != first["id"]
    mine = collection("holds").find_one({"_id": first["id"]})
    assert (mine["state"], mine["qty"], mine["customer_id"]) == ("LIVE", 2, customer_client.user.pk)
    event, _ = assert_invariant(event_id)
    assert (event["seats_available"], event["seats_held"]) == (5, 5)
    # Each customer books the hold they were given.
    for client, held in ((other_client, other.json()), (customer_client, first)):
        booked = client.post("/bookings", {"holdId": held["id"]}, format="json")
        assert booked.status_code == 201, booked.content
    event, rows = assert_invariant(event_id)
    assert (event["seats_available"], event["seats_held"], len(rows)) == (5, 0, 2)


def test_an_interrupted_hold_under_a_taken_id_gives_its_seats_back_and_leaves_the_other_alone(
    inject, create_event, customer_client, client_for, make_user
):
    """Its rollback finds another customer's hold under its id: that hold is not ours (it used
    to be taken for ours, and the seats stayed counted as held with no hold behind them)."""
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    first = customer_client.post("/holds", {"eventId": event_id, "qty": 2}, format="json").json()
    move_counters_back("HLD")
    inject("hold_after_take")
    # The failing hold never reaches its insert, so it keeps the taken id.
    assert client_for(make_user()).post("/holds", {"eventId": event_id, "qty": 3}, format="json").status_code == 500
    assert collection("holds").find_one({"_id": first["id"]})["state"] == "LIVE"
    event, _ = assert_invariant(event_id)
    assert (event["seats_available"], event["seats_held"]) == (8, 2)


def test_a_booking_from_a_hold_that_takes_a_fresh_id_is_named_by_its_hold(create_event, customer_client, client_for, make_user):
    event_id = create_event(publish=True, capacity=10, price="20.00")["id"]
    theirs = book(client_for(make_user()), event_id, 2).json()
    held = customer_client.post("/holds", {"eventId": event_id, "qty": 3}, format="json").json()
    move_counters_back("BK")
    booked = customer_client.post("/bookings", {"holdId": held["id"]}, format="json")
    assert booked.status_code == 201, booked.content
    booking_id = booked.json()["id"]
    assert booking_id != theirs["id"]
    hold = collection("holds").find_one({"_id": held["id"]})
    assert (hold["state"], hold["booking"]) == ("BOOKED", booking_id)
    got = customer_client.get(f"/bookings/{booking_id}")
    assert got.status_code == 200 and (got.json()["qty"], got.json()["status"]) == (3, "CONFIRMED")
    assert collection("bookings").find_one({"_id": theirs["id"]})["qty"] == 2
    event, rows = assert_invariant(event_id)
    assert (event["seats_available"], event["seats_held"], len(rows)) == (5, 0, 2)
