"""Tickets, their signed codes and check-in, through the API in the test process (the
races and the offline scanner against real server processes: test_servers.py and
tests/docs/test_scanner_example.py)."""

import base64

import pytest

from accounts.models import User
from shared.mongo import collection
from tests.helpers import book, browser_for
from tests.tickets.forge import number, signed_by_another_key, with_byte_changed
from tickets.models import Checkin, DoorStaff


def test_each_seat_is_a_ticket_with_its_own_signed_code_and_qr_images(booking, customer, tickets_of):
    listed = tickets_of(customer, booking["id"])
    assert listed["booking_id"] == booking["id"] and listed["count"] == 3 and listed["booking_status"] == "CONFIRMED"
    tickets = listed["results"]
    assert [t["id"] for t in tickets] == [f"{booking['id']}-{seat}" for seat in (1, 2, 3)]
    assert len({t["code"] for t in tickets}) == 3
    for ticket in tickets:
        assert ticket["status"] == "VALID" and ticket["ticket_type_id"] == booking["ticket_type_id"]
        assert len(ticket["code"]) == 140 and set(ticket["code"]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        assert ticket["qr"]["svg"].startswith("data:image/svg+xml")
        png = ticket["qr"]["png"]
        assert png.startswith("data:image/png;base64,") and base64.b64decode(png.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    # Shown again: the same codes (nothing is stored; the signature is deterministic).
    assert [t["code"] for t in tickets_of(customer, booking["id"])["results"]] == [t["code"] for t in tickets]


def test_only_the_bookings_customer_sees_its_tickets(booking, client_for, make_user, organizer_client):
    assert client_for(make_user()).get(f"/bookings/{booking['id']}/tickets").json()["error"]["code"] == "booking_not_found"
    assert organizer_client.get(f"/bookings/{booking['id']}/tickets").status_code == 404
    assert client_for(make_user()).get("/bookings/BK-9999/tickets").status_code == 404


def test_first_scan_admits_a_second_says_when_and_where_the_same_nonce_answers_again(booking, codes, scan):
    event_id = booking["event_id"]
    first = scan(codes[0], event_id=event_id, gate="North", nonce="nonce-a1", scanned_at="2030-05-01T19:00:00Z")
    assert first.status_code == 201, first.content
    checkin = first.json()
    assert checkin["ticket_id"] == f"{booking['id']}-1" and checkin["gate"] == "North" and checkin["seat"] == 1
    assert checkin["scanned_at"] == "2030-05-01T19:00:00Z" and checkin["event_id"] == event_id
    assert "Idempotent-Replayed" not in first.headers

    again = scan(codes[0], event_id=event_id, gate="South", nonce="nonce-b2")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_checked_in" and error["gate"] == "North" and error["checked_in_at"] == checkin["checked_in_at"]

    replay = scan(codes[0], event_id=event_id, gate="North", nonce="nonce-a1", scanned_at="2030-05-01T19:00:00Z")
    assert replay.status_code == 201 and replay.json() == checkin and replay.headers["Idempotent-Replayed"] == "true"
    # The second scan's answer is as stable: sent again, the same 409.
    assert scan(codes[0], event_id=event_id, gate="South", nonce="nonce-b2").json()["error"] == error
    assert collection("checkins").count_documents({}) == 1
    # The other seats are tickets of their own.
    assert scan(codes[1], event_id=event_id).status_code == 201


def test_a_nonce_that_admitted_one_ticket_cannot_admit_another(booking, codes, scan):
    assert scan(codes[0], event_id=booking["event_id"], nonce="nonce-same").status_code == 201
    reused = scan(codes[1], event_id=booking["event_id"], nonce="nonce-same")
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "nonce_reused"
    assert collection("checkins").count_documents({}) == 1


@pytest.mark.parametrize("change", ["event", "booking", "seat", "type", "signature", "key id", "version"])
def test_an_altered_code_is_refused(booking, codes, scan, change):
    index, value = {"event": (8, 0x09), "booking": (14, 0x02), "seat": (16, 0x03), "type": (22, 0x07),
                    "signature": (40, 0x00), "key id": (2, 0x09), "version": (0, 0x02)}[change]
    altered = with_byte_changed(codes[0], index, value)
    assert altered != codes[0]
    response = scan(altered, event_id=booking["event_id"])
    expected = "ticket_code_malformed" if change == "version" else "ticket_signature_invalid"
    assert response.status_code == 400 and response.json()["error"]["code"] == expected, response.content
    assert collection("checkins").count_documents({}) == 0


def test_a_code_signed_by_another_key_is_refused_whatever_key_id_it_names(booking, scan):
    fields = dict(event=number(booking["event_id"]), booking=number(booking["id"]), seat=1,
                  ticket_type=number(booking["ticket_type_id"]))
    for kid in (1, 2, 65535):
        response = scan(signed_by_another_key(kid=kid, **fields), event_id=booking["event_id"])
        assert response.status_code == 400 and response.json()["error"]["code"] == "ticket_signature_invalid"


@pytest.mark.parametrize("code", ["", "hello", "A" * 139, "A" * 141, "1" * 140, "A" * 138 + "=="])
def test_malformed_codes_are_refused(booking, scan, code):
    response = scan(code, event_id=booking["event_id"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ({"validation_error"} if not code else {"ticket_code_malformed"})


def test_a_ticket_of_another_event_is_refused(booking, codes, create_event, scan):
    other = create_event(publish=True, title="Other night")
    response = scan(codes[0], event_id=other["id"])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ticket_wrong_event" and response.json()["error"]["ticket_event_id"] == booking["event_id"]


def test_bad_scan_bodies_are_refused(booking, codes, organizer_client):
    url = f"/events/{booking['event_id']}/checkins"
    for body, field in [({"gate": "N", "nonce": "nonce-0001"}, "code"), ({"code": codes[0], "nonce": "nonce-0001"}, "gate"),
                        ({"code": codes[0], "gate": "N", "nonce": "short"}, "nonce"),
                        ({"code": codes[0], "gate": "N", "nonce": "nonce-0001", "scanned_at": "yesterday"}, "scanned_at"),
                        ({"code": codes[0], "gate": "N", "nonce": "nonce-0001", "seat": 1}, "seat")]:
        response = organizer_client.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()["error"]["fields"], (body, response.content)
    assert organizer_client.post("/events/EVT-9999/checkins", {"code": codes[0], "gate": "N", "nonce": "nonce-0001"},
                                 format="json").status_code == 404


def revoked_answer(scan, code, event_id):
    response = scan(code, event_id=event_id)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "ticket_revoked"
    return error


def test_the_customer_cancelling_revokes_the_tickets(booking, codes, customer, customer_client, organizer_client, scan, tickets_of):
    assert scan(codes[0], event_id=booking["event_id"]).status_code == 201
    assert customer_client.post(f"/bookings/{booking['id']}/cancel").status_code == 200
    assert revoked_answer(scan, codes[1], booking["event_id"])["reason"] == "booking_cancelled"
    listed = tickets_of(customer, booking["id"])["results"]
    assert {t["status"] for t in listed} == {"REVOKED"} and {t["code"] for t in listed} == {None}
    revocations = organizer_client.get(f"/events/{booking['event_id']}/revocations").json()
    assert revocations["results"][0]["booking_id"] == booking["id"] and revocations["event_cancelled"] is False
    assert revocations["results"][0]["ticket_ids"] == [f"{booking['id']}-{seat}" for seat in (1, 2, 3)]
    # Let in before the cancellation: still in, and its scan still answers as it did.
    assert scan(codes[0], event_id=booking["event_id"]).json()["error"]["code"] == "already_checked_in"


def test_staff_cancelling_in_the_admin_revokes_the_tickets(booking, codes, organizer_client, scan):
    staff = User.objects.create_superuser(email="staff@example.com", password="Correct-Horse-42", name="Staff")
    response = browser_for(staff).post("/admin/bookings/booking/", {
        "action": "cancel_bookings", "_selected_action": [booking["id"]], "index": 0, "confirm": "yes",
    })
    assert response.status_code == 302, response.content
    assert collection("bookings").find_one({"_id": booking["id"]})["status"] == "CANCELLED"
    assert revoked_answer(scan, codes[0], booking["event_id"])["reason"] == "booking_cancelled"
    ids = [r["booking_id"] for r in organizer_client.get(f"/events/{booking['event_id']}/revocations").json()["results"]]
    assert ids == [booking["id"]]


def test_the_event_cancelled_revokes_every_ticket(booking, codes, organizer_client, scan):
    assert organizer_client.post(f"/events/{booking['event_id']}/cancel", {"reason": "Flood"}, format="json").status_code == 200
    error = revoked_answer(scan, codes[2], booking["event_id"])
    assert error["reason"] == "event_cancelled" and error["revoked_at"]
    revocations = organizer_client.get(f"/events/{booking['event_id']}/revocations").json()
    assert revocations["event_cancelled"] is True and revocations["event_cancelled_at"]
    assert [r["booking_id"] for r in revocations["results"]] == [booking["id"]] and revocations["results"][0]["cancelled_by_event"]


def test_revocations_since_a_moment_and_in_pages(published_event, make_user, client_for, organizer_client):
    event_id = published_event["id"]
    made = []
    for _ in range(3):
        client = client_for(make_user())
        made.append((client, book(client, event_id, qty=1).json()["id"]))
    made[0][0].post(f"/bookings/{made[0][1]}/cancel")
    first = organizer_client.get(f"/events/{event_id}/revocations").json()
    assert [r["booking_id"] for r in first["results"]] == [made[0][1]]
    for client, booking_id in made[1:]:
        client.post(f"/bookings/{booking_id}/cancel")
    later = organizer_client.get(f"/events/{event_id}/revocations", {"since": first["as_of"]}).json()
    assert [r["booking_id"] for r in later["results"]] == [made[1][1], made[2][1]]
    assert first["next_since"] < first["as_of"]
    paged = organizer_client.get(f"/events/{event_id}/revocations", {"page_size": 2, "page": 2}).json()
    assert paged["count"] == 3 and [r["booking_id"] for r in paged["results"]] == [made[2][1]]
    assert organizer_client.get(f"/events/{event_id}/revocations", {"since": "soon"}).status_code == 400


def test_door_staff_work_the_door_of_their_event_only(booking, codes, create_event, customer_client, make_user, client_for, organizer_client, scan, other_organizer_client):
    event_id = booking["event_id"]
    dora = make_user(email="dora@example.com")
    door = client_for(dora)
    assert scan(codes[0], event_id=event_id, client=door).status_code == 403
    granted = organizer_client.post(f"/events/{event_id}/door-staff", {"email": "Dora@Example.com"}, format="json")
    assert granted.status_code == 201 and granted.json()["email"] == "dora@example.com" and granted.json()["user_id"] == str(dora.pk)
    assert organizer_client.post(f"/events/{event_id}/door-staff", {"email": "dora@example.com"}, format="json").status_code == 200
    assert [g["email"] for g in organizer_client.get(f"/events/{event_id}/door-staff").json()] == ["dora@example.com"]

    assert scan(codes[0], event_id=event_id, client=door).status_code == 201
    assert door.get(f"/events/{event_id}/revocations").status_code == 200
    assert door.get(f"/events/{event_id}/checkins").json()["checked_in"] == 1

    # Another event of the same organizer: Dora has no grant there.
    other = create_event(publish=True, title="Matinee")
    other_code = customer_client.get(f"/bookings/{book(customer_client, other['id']).json()['id']}/tickets").json()["results"][0]["code"]
    assert scan(other_code, event_id=other["id"], client=door).status_code == 403
    assert door.get(f"/events/{other['id']}/revocations").status_code == 403
    assert door.get(f"/events/{other['id']}/checkins").status_code == 403
    # At her own event's door, the other event's ticket is refused as such.
    assert scan(other_code, event_id=event_id, client=door).json()["error"]["code"] == "ticket_wrong_event"
    # Door staff do not manage door staff; nor do other organizers.
    assert door.post(f"/events/{event_id}/door-staff", {"email": "dora@example.com"}, format="json").status_code == 403
    assert other_organizer_client.get(f"/events/{event_id}/door-staff").status_code == 403
    assert other_organizer_client.post(f"/events/{event_id}/door-staff", {"email": "dora@example.com"}, format="json").status_code == 403

    assert organizer_client.delete(f"/events/{event_id}/door-staff/dora@example.com").status_code == 204
    assert scan(codes[1], event_id=event_id, client=door).status_code == 403
    assert organizer_client.delete(f"/events/{event_id}/door-staff/dora@example.com").json()["error"]["code"] == "door_staff_not_found"


def test_granting_door_staff_refuses_unknown_accounts_and_the_organizer(published_event, organizer, organizer_client):
    url = f"/events/{published_event['id']}/door-staff"
    assert organizer_client.post(url, {"email": "nobody@example.com"}, format="json").json()["error"]["code"] == "user_not_found"
    assert organizer_client.post(url, {"email": organizer.email}, format="json").json()["error"]["code"] == "door_staff_is_organizer"
    assert organizer_client.post(url, {"email": "not an email"}, format="json").status_code == 400
    assert organizer_client.post("/events/EVT-9999/door-staff", {"email": organizer.email}, format="json").status_code == 404


def test_an_offline_batch_uploaded_twice_answers_the_same_and_admits_once(booking, codes, organizer_client):
    url = f"/events/{booking['event_id']}/checkins/batch"
    scans = [
        {"code": codes[0], "gate": "East", "nonce": "offline-0001", "scanned_at": "2030-05-01T19:00:00Z"},
        {"code": codes[1], "gate": "East", "nonce": "offline-0002", "scanned_at": "2030-05-01T19:00:05Z"},
        {"code": codes[0], "gate": "East", "nonce": "offline-0003", "scanned_at": "2030-05-01T19:00:09Z"},
        {"code": codes[2][:-8] + "AAAAAAAA", "gate": "East", "nonce": "offline-0004", "scanned_at": "2030-05-01T19:00:12Z"},
    ]
    first = organizer_client.post(url, {"scans": scans}, format="json")
    assert first.status_code == 200, first.content
    answers = first.json()["results"]
    assert [a["status"] for a in answers] == [201, 201, 409, 400]
    assert [a["nonce"] for a in answers] == [s["nonce"] for s in scans]
    assert answers[0]["checkin"]["scanned_at"] == "2030-05-01T19:00:00Z" and answers[0]["error"] is None
    assert answers[2]["error"]["code"] == "already_checked_in" and answers[3]["error"]["code"] == "ticket_signature_invalid"
    again = organizer_client.post(url, {"scans": scans}, format="json").json()["results"]
    assert again == answers
    assert collection("checkins").count_documents({"event_id": booking["event_id"]}) == 2
    # A malformed scan refuses the whole batch, naming it; an empty batch is refused too.
    bad = organizer_client.post(url, {"scans": [{**scans[0], "gate": ""}]}, format="json")
    assert bad.status_code == 400 and "scans" in bad.json()["error"]["fields"]
    assert organizer_client.post(url, {"scans": []}, format="json").status_code == 400


def test_the_organizer_sees_counts_per_type_and_gate_and_searches_check_ins(organizer_client, create_event, make_user, client_for, scan):
    types = [{"name": "Standard", "price": "10.00", "capacity": 20}, {"name": "VIP", "price": "40.00", "capacity": 5}]
    event = create_event(publish=True, price=None, capacity=None, types=types)
    standard, vip = [t["id"] for t in event["types"]]
    customer = make_user()
    client = client_for(customer)
    plain = book(client, event["id"], qty=3, ticket_type_id=standard).json()
    fancy = book(client, event["id"], qty=2, ticket_type_id=vip).json()
    plain_codes = [t["code"] for t in client.get(f"/bookings/{plain['id']}/tickets").json()["results"]]
    fancy_codes = [t["code"] for t in client.get(f"/bookings/{fancy['id']}/tickets").json()["results"]]
    for code, gate in [(plain_codes[0], "North"), (plain_codes[1], "South"), (fancy_codes[0], "North")]:
        assert scan(code, event_id=event["id"], gate=gate).status_code == 201
    listed = organizer_client.get(f"/events/{event['id']}/checkins").json()
    assert listed["checked_in"] == 3 and listed["tickets"] == 5 and listed["count"] == 3
    assert listed["by_gate"] == [{"gate": "North", "checked_in": 2}, {"gate": "South", "checked_in": 1}]
    assert [(t["ticket_type_name"], t["checked_in"], t["tickets"]) for t in listed["by_type"]] == [("Standard", 2, 3), ("VIP", 1, 2)]
    assert [c["ticket_id"] for c in listed["results"]] == [f"{fancy['id']}-1", f"{plain['id']}-2", f"{plain['id']}-1"]
    page = organizer_client.get(f"/events/{event['id']}/checkins", {"page_size": 2, "page": 2}).json()
    assert page["pages"] == 2 and [c["ticket_id"] for c in page["results"]] == [f"{plain['id']}-1"]
    by_booking = organizer_client.get(f"/events/{event['id']}/checkins", {"q": plain["id"]}).json()
    assert sorted(c["ticket_id"] for c in by_booking["results"]) == [f"{plain['id']}-1", f"{plain['id']}-2"]
    assert organizer_client.get(f"/events/{event['id']}/checkins", {"q": f"{plain['id']}-2"}).json()["count"] == 1
    assert organizer_client.get(f"/events/{event['id']}/checkins", {"gate": "South"}).json()["count"] == 1
    assert organizer_client.get(f"/events/{event['id']}/checkins", {"q": "Alice"}).status_code == 400
    assert client.get(f"/events/{event['id']}/checkins").status_code == 403
    # The customer's own view of the tickets says which are in.
    statuses = [t["status"] for t in client.get(f"/bookings/{plain['id']}/tickets").json()["results"]]
    assert statuses == ["CHECKED_IN", "CHECKED_IN", "VALID"]


def test_check_ins_and_grants_written_by_the_service_read_back_through_their_models(booking, codes, scan, organizer_client, make_user):
    make_user(email="gate@example.com")
    organizer_client.post(f"/events/{booking['event_id']}/door-staff", {"email": "gate@example.com"}, format="json")
    checkin = scan(codes[0], event_id=booking["event_id"], gate="West", nonce="nonce-orm1").json()
    row = Checkin.objects.get(pk=checkin["ticket_id"])
    assert (row.event_id, row.booking_id, row.seat, row.gate, row.nonce) == (booking["event_id"], booking["id"], 1, "West", "nonce-orm1")
    assert row.checked_in_by_id == organizer_client.user.pk and row.checked_in_at.tzinfo is not None
    grant = DoorStaff.objects.get(event_id=booking["event_id"])
    assert grant.user.email == "gate@example.com" and grant.granted_by_id == organizer_client.user.pk


def test_staff_see_an_events_check_ins_on_its_admin_page(booking, codes, scan):
    scan(codes[0], event_id=booking["event_id"], gate="Gate 7")
    staff = User.objects.create_superuser(email="staff@example.com", password="Correct-Horse-42", name="Staff")
    browser = browser_for(staff)
    page = browser.get(f"/admin/events/event/{booking['event_id']}/change/").content.decode()
    assert "1 of 3 tickets checked in" in page and "gate Gate 7" in page and f"{booking['id']}-1" in page
    listing = browser.get(f"/admin/tickets/checkin/?event__id__exact={booking['event_id']}").content.decode()
    assert f"{booking['id']}-1" in listing and "Gate 7" in listing


def test_keys_rotate_without_invalidating_codes_already_given(booking, codes, customer, tickets_of, scan, api, settings):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    def entry(kid, raw):
        return f"{kid}:{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"

    old_kid = int(settings.TICKET_SIGNING_KEY.split(":")[0])
    old_public = api.get("/.well-known/ticket-keys").json()["keys"][0]
    assert old_public["kid"] == str(old_kid) and old_public["current"] is True
    new = Ed25519PrivateKey.generate()
    settings.TICKET_VERIFY_KEYS = [f"{old_kid}:{old_public['x']}"]
    settings.TICKET_SIGNING_KEY = entry(old_kid + 1, new.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    published = api.get("/.well-known/ticket-keys").json()["keys"]
    assert [(k["kid"], k["current"]) for k in published] == [(str(old_kid + 1), True), (str(old_kid), False)]
    assert published[0]["x"] == base64.urlsafe_b64encode(new.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode().rstrip("=")
    # A code given out before the rotation still admits; codes shown now carry the new key id.
    assert scan(codes[0], event_id=booking["event_id"]).status_code == 201
    fresh = tickets_of(customer, booking["id"])["results"]
    assert fresh[1]["code"] != codes[1] and base64.b32decode(fresh[1]["code"] + "====")[1:3] == (old_kid + 1).to_bytes(2, "big")
    assert scan(fresh[1]["code"], event_id=booking["event_id"]).status_code == 201
    # The old key retired: its codes no longer verify.
    settings.TICKET_VERIFY_KEYS = []
    assert scan(codes[2], event_id=booking["event_id"]).json()["error"]["code"] == "ticket_signature_invalid"


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"])
def test_datetimes_at_the_ends_of_the_range_are_answers_not_failures(booking, codes, organizer_client, scan, moment):
    assert organizer_client.get(f"/events/{booking['event_id']}/revocations", {"since": moment}).status_code in (200, 400)
    assert scan(codes[0], event_id=booking["event_id"], nonce="nonce-edge1", scanned_at=moment).status_code in (201, 400)
