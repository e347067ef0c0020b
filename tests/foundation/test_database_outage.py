"""While the database is unreachable every request answers 503 database_unavailable with
Retry-After, /health says so, and the service comes back by itself when the database
does (docs/operations.md, "When the database is unreachable")."""

import time

import httpx
import pytest

from accounts.models import Role
from tests.helpers import event_body, new_user, token_for

pytestmark = pytest.mark.slow
TIMEOUT_MS = 1000


def test_an_unreachable_database_answers_503_and_the_service_recovers_by_itself(own_database, start_server):
    organizer, customer = new_user(Role.ORGANIZER), new_user(Role.CUSTOMER)
    server = start_server(extra_env={"MONGODB_TIMEOUT_MS": str(TIMEOUT_MS)})
    org = {"Authorization": f"Bearer {token_for(organizer)}"}
    cust = {"Authorization": f"Bearer {token_for(customer)}"}
    event = httpx.post(f"{server.url}/events", json=event_body(capacity=1), headers=org, timeout=30).json()
    assert httpx.post(f"{server.url}/events/{event['id']}/publish", headers=org, timeout=30).status_code == 200
    booked = httpx.post(f"{server.url}/bookings", json={"eventId": event["id"], "qty": 1}, headers=cust, timeout=30)
    assert booked.status_code == 201, booked.text

    own_database.kill()
    requests = [
        ("GET", "/events", None, None),
        ("GET", f"/events/{event['id']}", None, None),
        ("POST", "/bookings", cust, {"eventId": event["id"], "qty": 1}),
        ("POST", f"/bookings/{booked.json()['id']}/cancel", cust, None),
        ("POST", "/holds", cust, {"eventId": event["id"], "qty": 1}),
        ("POST", f"/events/{event['id']}/waitlist", cust, {"qty": 1}),
        ("GET", "/waitlist/me", cust, None),
        ("DELETE", "/waitlist/WL-0001", cust, None),
        ("GET", "/holds/me", cust, None),
        ("GET", "/holds/HLD-0001", cust, None),
        ("DELETE", "/holds/HLD-0001", cust, None),
        ("POST", "/login", None, {"email": customer.email, "password": "Correct-Horse-42"}),
        ("GET", "/analytics/me", org, None),
    ]
    for method, path, headers, body in requests:
        started = time.monotonic()
        response = httpx.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=30)
        took = time.monotonic() - started
        assert response.status_code == 503, (path, response.text)
        assert response.json() == {"error": {
            "code": "database_unavailable", "message": "The database cannot be reached; retry shortly.", "retry_after": 2,
        }}, path
        assert response.headers["Retry-After"] == "2"
        assert took < 10 * TIMEOUT_MS / 1000, (path, took)  # waits for the database about MONGODB_TIMEOUT_MS, not 30 s
    health = httpx.get(f"{server.url}/health", timeout=30)
    assert health.status_code == 503 and health.json()["database"].startswith("error: unreachable"), health.text

    own_database.start()
    back = time.monotonic()
    while True:
        response = httpx.get(f"{server.url}/events/{event['id']}", timeout=30)
        if response.status_code == 200:
            break
        assert response.status_code == 503 and time.monotonic() - back < 5, response.text
        time.sleep(0.05)
    recovered = time.monotonic() - back
    print(f"answering again {recovered:.2f}s after the database came back")
    assert httpx.get(f"{server.url}/health", timeout=30).json()["database"] == "ok"
    # Nothing acknowledged before the outage was lost, and the service writes again.
    cancelled = httpx.post(f"{server.url}/bookings/{booked.json()['id']}/cancel", headers=cust, timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    again = httpx.post(f"{server.url}/bookings", json={"eventId": event["id"], "qty": 1}, headers=cust, timeout=30)
    assert again.status_code == 201, again.text
