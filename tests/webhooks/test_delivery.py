"""Deliveries against a real local HTTP receiver, by the worker's own functions in this
process: the body and its signature, what each kind of answer does, back-off, 410,
redirects not followed, redelivery; the body is the notice as the log holds it."""

import hashlib
import hmac
import json
import socket
import time

from shared.mongo import collection
from tests.helpers import book
from webhooks.worker import deliver_due, enqueue


def add_hook(client, url, events=("booking.created", "booking.cancelled")):
    answer = client.post("/webhooks", {"url": url, "events": list(events)}, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def run_worker(rounds=1, pause=0.0):
    for _ in range(rounds):
        enqueue()
        deliver_due("test")
        time.sleep(pause)


def deliveries_of(client, hook):
    return client.get(f"/webhooks/{hook['id']}/deliveries").json()["results"]


def verify(secret, headers, body, tolerance=300):
    """What a receiver does (docs/api.md): the signature over "timestamp.body", and not too old."""
    timestamp = headers["Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["Webhook-Signature"], f"v1={expected}") and abs(time.time() - int(timestamp)) <= tolerance


def test_each_booking_reaches_the_endpoint_signed_with_the_notice_as_logged(
    private_targets, receiver, create_event, organizer_client, customer_client
):
    hook = add_hook(organizer_client, f"{receiver.url}/ok")
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    assert customer_client.post(f"/bookings/{booking_id}/cancel").status_code == 200

    run_worker()

    got = receiver.to("/ok")
    assert len(got) == 2
    logged = organizer_client.get("/notices").json()["results"]
    for (_, headers, body, _), notice in zip(got, logged):
        assert verify(hook["secret"], headers, body)
        sent = json.loads(body)
        assert sent == {"id": f"dlv_{hook['id']}_{notice['id']}", "type": notice["type"], "notice_id": notice["id"],
                        "created_at": notice["created_at"], "data": notice["data"]}
        assert headers["Webhook-Id"] == sent["id"]
    assert [json.loads(r[2])["type"] for r in got] == ["booking.created", "booking.cancelled"]
    # A tampered body or another secret does not verify.
    assert not verify(hook["secret"], got[0][1], got[0][2] + b" ")
    assert not verify("whsec_other", got[0][1], got[0][2])
    rows = deliveries_of(organizer_client, hook)
    assert [(d["status"], d["attempts"], d["response_code"]) for d in rows] == [("succeeded", 1, 200)] * 2
    # Nothing is sent twice.
    run_worker()
    assert len(receiver.to("/ok")) == 2


def test_only_the_events_asked_for_and_only_from_creation_on(private_targets, receiver, create_event, organizer_client, customer_client):
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    before = book(customer_client, event_id, 1).json()["id"]
    hook = add_hook(organizer_client, f"{receiver.url}/ok", events=["booking.cancelled"])
    after = book(customer_client, event_id, 1).json()["id"]
    assert customer_client.post(f"/bookings/{before}/cancel").status_code == 200

    run_worker()

    assert [json.loads(r[2])["data"]["booking_id"] for r in receiver.to("/ok")] == [before]
    assert [d["type"] for d in deliveries_of(organizer_client, hook)] == ["booking.cancelled"]
    assert after


def test_failures_are_retried_with_back_off_and_a_410_disables(
    private_targets, receiver, create_event, organizer_client, customer_client
):
    hooks = {path: add_hook(organizer_client, f"{receiver.url}{path}") for path in ("/fail", "/gone", "/hang", "/redirect")}
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    book(customer_client, event_id, 1)

    run_worker()

    rows = {path: deliveries_of(organizer_client, hook)[0] for path, hook in hooks.items()}
    assert (rows["/fail"]["status"], rows["/fail"]["response_code"], rows["/fail"]["error"]) == ("pending", 500, "HTTP 500")
    assert (rows["/gone"]["status"], rows["/gone"]["response_code"]) == ("failed", 410)
    gone = organizer_client.get(f"/webhooks/{hooks['/gone']['id']}").json()
    assert (gone["active"], gone["disabled_reason"]) == (False, "gone")
    assert (rows["/hang"]["status"], rows["/hang"]["response_code"], rows["/hang"]["error"]) == ("pending", None, "timeout")
    assert (rows["/redirect"]["status"], rows["/redirect"]["response_code"]) == ("pending", 302)
    assert receiver.to("/ok") == []  # the redirect was not followed
    first_retry = collection("webhook_deliveries").find_one({"webhook_id": hooks["/fail"]["id"]})
    delay = 0.2 * 2 ** (first_retry["attempts"] - 1)  # doubling from WEBHOOK_RETRY_FIRST_SECONDS
    assert delay - 0.05 < (first_retry["next_at"] - first_retry["last_attempt_at"]).total_seconds() <= delay + 0.05

    # Retried, each time later, until the retry window closes.
    private_targets.WEBHOOK_RETRY_HOURS = 3 / 3600
    deadline = time.monotonic() + 30
    while deliveries_of(organizer_client, hooks["/fail"])[0]["status"] == "pending" and time.monotonic() < deadline:
        run_worker(pause=0.1)
    last = deliveries_of(organizer_client, hooks["/fail"])[0]
    assert last["status"] == "failed" and last["attempts"] >= 3
    arrivals = [r[3] for r in receiver.to("/fail")]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert len(arrivals) == last["attempts"] and gaps[-1] > gaps[0]
    # The 410 endpoint got one try only.
    assert len(receiver.to("/gone")) == 1


def test_a_name_that_resolves_into_the_host_is_not_sent_to(settings, receiver, create_event, organizer_client, customer_client):
    """Saved (a name, not an address), then refused at delivery once it resolves to loopback."""
    settings.WEBHOOK_RETRY_FIRST_SECONDS = 0.2
    own = socket.gethostname()
    hook = add_hook(organizer_client, "https://hooks.example.com/ok")
    # A bare host name (Django's URL check wants a domain) stands for a public-looking name.
    collection("webhooks").update_one({"_id": hook["id"]}, {"$set": {"url": f"https://{own}:{receiver.url.rsplit(':', 1)[1]}/ok"}})
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    book(customer_client, event_id, 1)

    run_worker()

    [row] = deliveries_of(organizer_client, hook)
    if row["status"] == "pending" and row["error"].startswith(f"{own} resolves to a"):
        assert row["response_code"] is None and receiver.requests == []
    else:
        assert row["error"] == "", row  # this host's name is public here: nothing to check


def test_a_connection_closed_without_an_answer_is_retried(private_targets, receiver, create_event, organizer_client, customer_client):
    hook = add_hook(organizer_client, f"{receiver.url}/close")
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    book(customer_client, event_id, 1)

    run_worker()

    [row] = deliveries_of(organizer_client, hook)
    assert (row["status"], row["response_code"], row["attempts"]) == ("pending", None, 1)
    assert row["error"].startswith("RemoteProtocolError") and len(receiver.to("/close")) == 1


def test_a_delivery_is_sent_again_on_request_with_the_same_id(private_targets, receiver, create_event, organizer_client, customer_client):
    hook = add_hook(organizer_client, f"{receiver.url}/ok")
    event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
    book(customer_client, event_id, 1)
    run_worker()
    [row] = deliveries_of(organizer_client, hook)

    again = organizer_client.post(f"/webhooks/{hook['id']}/deliveries/{row['id']}/redeliver")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    run_worker()

    bodies = [json.loads(r[2]) for r in receiver.to("/ok")]
    assert [b["id"] for b in bodies] == [row["id"], row["id"]] and bodies[0] == bodies[1]
    assert organizer_client.post(f"/webhooks/{hook['id']}/deliveries/dlv_nope/redeliver").status_code == 404
