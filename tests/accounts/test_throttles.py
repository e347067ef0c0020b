"""Throttles on /login and /register, seen from several client addresses.

The server trusts one proxy hop (NUM_PROXIES=1), so X-Forwarded-For names the
client address, as behind the load balancer."""

import httpx
import pytest

from tests.helpers import PASSWORD

WRONG = "Wrong-Horse-00"


def login(server, email, password, address):
    return httpx.post(
        f"{server.url}/login", json={"email": email, "password": password}, headers={"X-Forwarded-For": address}, timeout=30
    )


def register(server, email, address):
    body = {"name": "Probe", "email": email, "password": PASSWORD, "role": "CUSTOMER"}
    return httpx.post(f"{server.url}/register", json=body, headers={"X-Forwarded-For": address}, timeout=30)


@pytest.fixture
def throttled_server(start_server):
    def start(**env):
        return start_server(extra_env={"NUM_PROXIES": "1", **env})

    return start


def test_a_stranger_guessing_a_password_is_throttled_but_cannot_lock_the_owner_out(throttled_server, customer):
    server = throttled_server()
    attacker, owner = "203.0.113.5", "198.51.100.7"
    answers = [login(server, customer.email, WRONG, attacker).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    # Throttled before the password is checked: the right one does not help the attacker.
    assert login(server, customer.email, PASSWORD, attacker).status_code == 429
    assert login(server, customer.email, PASSWORD, owner).status_code == 200


def test_guesses_from_many_addresses_hit_the_per_email_ceiling_but_not_a_known_address(throttled_server, customer):
    server = throttled_server(LOGIN_FAILURES_PER_EMAIL="8/hour")
    known = "198.51.100.7"
    assert login(server, customer.email, PASSWORD, known).status_code == 200
    # A botnet: two guesses from each of many addresses, none over its own limit.
    answers = [login(server, customer.email, WRONG, f"203.0.113.{n}").status_code for n in range(1, 5) for _ in range(2)]
    assert answers == [401] * 8
    refused = login(server, customer.email, WRONG, "203.0.113.99")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "throttled"
    # A new address with the right password waits too; the owner's known address does not.
    assert login(server, customer.email, PASSWORD, "192.0.2.1").status_code == 429
    assert login(server, customer.email, PASSWORD, known).status_code == 200
    # Other accounts are not affected.
    assert login(server, "someone-else@example.com", WRONG, "192.0.2.1").status_code == 401


def test_register_is_throttled_per_address(throttled_server):
    server = throttled_server(REGISTER_RATE_PER_ADDRESS="3/hour")
    answers = [register(server, f"new{n}@example.com", "203.0.113.5").status_code for n in range(4)]
    assert answers == [201, 201, 201, 429]
    # An address registering a taken email is counted like any other registration.
    assert register(server, "new0@example.com", "198.51.100.7").status_code == 409
    assert register(server, "other@example.com", "198.51.100.7").status_code == 201
