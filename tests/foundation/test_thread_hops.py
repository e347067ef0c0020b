"""An HTTP request crosses between daphne's event loop and a thread at most 3 times,
its sync code (the ORM's connections included) runs on one thread, and a server
reuses a bounded set of threads instead of starting one per request
(server/handler.py, server/threads.py).

The servers run tests/settings.py, which logs each request's hops and threads
(tests/hooks/threadhops.py): every asgiref SyncToAsync / AsyncToSync call of
the request counts, whoever makes it."""

import asyncio
import uuid

import httpx
import pytest

from accounts.models import Role
from tests.helpers import PASSWORD, event_body, new_user, token_for
from tests.servers import DaphneServer

pytestmark = pytest.mark.slow
MAX_HOPS = 3
POOL = 4


def call(client, method, path, *, token=None, **kwargs):
    rid = uuid.uuid4().hex
    headers = {"X-Request-ID": rid, **kwargs.pop("headers", {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return rid, client.request(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def small_pool_server(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        daphne = DaphneServer(extra_env={"REQUEST_THREADS": str(POOL)}).start()
    yield daphne
    daphne.stop()


def test_a_booking_a_listing_a_login_an_error_static_and_admin_pages_take_at_most_3_hops_on_one_thread(small_pool_server):
    server = small_pool_server
    organizer, customer = new_user(Role.ORGANIZER), new_user(Role.CUSTOMER)
    answers = {}
    with httpx.Client(base_url=server.url, timeout=30) as client:
        _, created = call(client, "POST", "/events", token=token_for(organizer), json=event_body(capacity=10))
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        _, published = call(client, "POST", f"/events/{event_id}/publish", token=token_for(organizer))
        assert published.status_code == 200, published.text
        answers["booking"] = call(client, "POST", "/bookings", token=token_for(customer), json={"eventId": event_id, "qty": 2})
        answers["listing"] = call(client, "GET", "/events?page=1&page_size=20")
        answers["login"] = call(client, "POST", "/login", json={"email": customer.email, "password": PASSWORD})
        answers["sold out"] = call(client, "POST", "/bookings", token=token_for(customer), json={"eventId": event_id, "qty": 9})
        answers["bad token"] = call(client, "GET", "/me", token="not-a-token")
        answers["unknown route"] = call(client, "GET", "/nowhere")
        answers["static file"] = call(client, "GET", "/static/admin/css/base.css")
        answers["admin page"] = call(client, "GET", "/admin/login/")
    statuses = {name: response.status_code for name, (_, response) in answers.items()}
    assert statuses == {
        "booking": 201, "listing": 200, "login": 200, "sold out": 409, "bad token": 401,
        "unknown route": 404, "static file": 200, "admin page": 200,
    }, {name: response.text[:200] for name, (_, response) in answers.items()}
    assert b"body" in answers["static file"][1].content and "csrfmiddlewaretoken" in answers["admin page"][1].text
    lines = dict(zip(answers, server.hop_lines([rid for rid, _ in answers.values()])))
    for name, line in lines.items():
        assert line["hops"] <= MAX_HOPS, (name, line)
        assert len(line["threads"]) == 1, (name, line)


def test_two_hundred_requests_are_served_by_at_most_the_pools_threads(small_pool_server):
    server = small_pool_server
    token = token_for(new_user(Role.CUSTOMER))
    rids = [uuid.uuid4().hex for _ in range(200)]

    async def run():
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            headers = lambda rid: {"X-Request-ID": rid, "Authorization": f"Bearer {token}"}  # noqa: E731
            return await asyncio.gather(*(client.get("/me", headers=headers(rid)) for rid in rids))

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 200
    lines = server.hop_lines(rids)
    threads = set()
    for line in lines:
        assert len(line["threads"]) == 1 and line["hops"] <= MAX_HOPS, line
        threads.update(line["threads"])
    assert 1 <= len(threads) <= POOL, sorted(threads)
