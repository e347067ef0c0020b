"""The webhooks API: organizers only, their own only, the secret shown once, URLs that
would reach into the host's network refused (also after DNS)."""

import ipaddress
import socket

import pytest

from webhooks.targets import TargetRefused, resolve


def create(client, url="https://hooks.example.com/in", events=("booking.created",)):
    return client.post("/webhooks", {"url": url, "events": list(events)}, format="json")


def test_an_organizer_manages_a_webhook(organizer_client):
    made = create(organizer_client, events=["booking.created", "booking.cancelled"])
    assert made.status_code == 201, made.content
    hook = made.json()
    assert hook["id"].startswith("WH-") and hook["secret"].startswith("whsec_") and len(hook["secret"]) > 30
    assert (hook["url"], hook["events"], hook["active"]) == ("https://hooks.example.com/in", ["booking.cancelled", "booking.created"], True)

    listed = organizer_client.get("/webhooks").json()
    assert [h["id"] for h in listed["results"]] == [hook["id"]] and "secret" not in listed["results"][0]
    assert "secret" not in organizer_client.get(f"/webhooks/{hook['id']}").json()

    changed = organizer_client.patch(f"/webhooks/{hook['id']}", {"events": ["waitlist.changed"], "active": False}, format="json")
    assert changed.status_code == 200 and (changed.json()["events"], changed.json()["active"]) == (["waitlist.changed"], False)

    rotated = organizer_client.post(f"/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", hook["secret"])

    assert organizer_client.get(f"/webhooks/{hook['id']}/deliveries").json()["results"] == []
    assert organizer_client.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert organizer_client.get(f"/webhooks/{hook['id']}").status_code == 404


def test_nobody_else_sees_or_changes_it(organizer_client, other_organizer_client, customer_client):
    hook = create(organizer_client).json()
    for method, path in [("get", ""), ("patch", ""), ("delete", ""), ("post", "/rotate-secret"), ("get", "/deliveries"),
                         ("post", "/deliveries/dlv_x/redeliver")]:
        answer = getattr(other_organizer_client, method)(f"/webhooks/{hook['id']}{path}", {}, format="json")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "webhook_not_found", (method, path)
    assert customer_client.get("/webhooks").status_code == 403
    assert create(customer_client).status_code == 403
    assert other_organizer_client.get("/webhooks").json()["count"] == 0


@pytest.mark.parametrize(
    "body",
    [{"url": "https://hooks.example.com"}, {"events": ["booking.created"]}, {"url": "not a url", "events": ["booking.created"]},
     {"url": "https://hooks.example.com", "events": []}, {"url": "https://hooks.example.com", "events": ["event.cancelled"]},
     {"url": "https://hooks.example.com", "events": ["booking.created"], "secret": "mine"}],
)
def test_malformed_bodies_are_a_400(organizer_client, body):
    answer = organizer_client.post("/webhooks", body, format="json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "url",
    ["http://hooks.example.com/in", "https://127.0.0.1/in", "https://localhost:8443/in", "https://10.1.2.3/in",
     "https://192.168.0.10/in", "https://169.254.169.254/latest", "https://[::1]/in", "https://[fe80::1]/in",
     "https://[::ffff:127.0.0.1]/in", "https://0.0.0.0/in", "ftp://hooks.example.com/in"],
)
def test_targets_inside_the_host_network_are_refused(organizer_client, url):
    answer = create(organizer_client, url=url)
    assert answer.status_code == 400, answer.content
    assert answer.json()["error"]["code"] in ("webhook_url_refused", "validation_error")
    hook = create(organizer_client).json()
    assert organizer_client.patch(f"/webhooks/{hook['id']}", {"url": url}, format="json").status_code == 400


def test_a_name_that_resolves_to_a_private_address_is_refused_before_sending():
    """The name passes when saved (it is not an address, nor localhost); its addresses are checked before each delivery."""
    own = socket.gethostname()
    addresses = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(own, 443)}
    if all(address.is_global for address in addresses):
        pytest.skip(f"this host's name {own} resolves to public addresses only")
    with pytest.raises(TargetRefused, match="resolves to a"):
        resolve(f"https://{own}/in")
    with pytest.raises(TargetRefused, match="does not resolve"):
        resolve("https://no-such-host.invalid/in")


def test_private_targets_are_allowed_only_by_the_setting(organizer_client, private_targets):
    assert create(organizer_client, url="http://127.0.0.1:9/in").status_code == 201
