"""Redis is a cache and a fan-out, not a dependency of booking (docs/architecture.md,
"Cache" and "Real-time"). Two daphne processes share a redis-server of the test's
own while customers book through both and readers read the event through both;
mid-run Redis is killed and brought back empty, refused for the rest of the run,
stalled (SIGSTOP, then SIGCONT), or brought back with the data it saved before
the writes. Every time: no 5xx, no read older than an acknowledged write, every
acknowledged booking stands, the seat invariant holds."""

import threading
import time
import uuid
from collections import Counter

import httpx
import pytest

from accounts.models import Role
from tests.helpers import PASSWORD, assert_invariant, book_through, confirmed, event_body, event_doc, new_user, token_for
from tests.realtime.clients import SocketIOListener, WebSocketListener
from tests.servers import DaphneServer, RedisProcess

pytestmark = pytest.mark.slow

CAPACITY = 500
BOOKERS = 4
PRICES = ["25.00", "31.00", "37.00"]  # the event's price, then what the organizer sets, in order
TIMEOUT = 30


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    """(redis, [server A, server B]) sharing the test database and a Redis of their own."""
    redis = RedisProcess().start()
    # Numbers one at a time: these servers outlive the counter resets between tests.
    env = {"REDIS_URL": redis.url, "REALTIME_REDIS_URL": redis.url, "BOOKING_ID_BLOCK": "1"}
    with django_db_blocker.unblock():
        servers = [DaphneServer(extra_env=env).start(), DaphneServer(extra_env=env).start()]
    yield redis, servers
    for server in servers:
        server.stop()
    redis.kill()


def auth(user):
    return {"Authorization": f"Bearer {token_for(user)}"}


class Traffic:
    """Bookings (qty 1) through both processes, and reads of the event through both,
    each read checked against the writes acknowledged before it started."""

    def __init__(self, servers, event_id, customers):
        self.servers, self.event_id = servers, event_id
        self.headers = [auth(customer) for customer in customers]
        self.lock = threading.Lock()
        self.booked = []  # ids of acknowledged bookings
        self.prices_acked = 1  # PRICES[:prices_acked] were acknowledged
        self.booking_statuses, self.read_statuses = Counter(), Counter()
        self.stale = []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.book, args=(n,)) for n in range(BOOKERS)]
        self.threads += [threading.Thread(target=self.read)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        for thread in self.threads:
            thread.join(TIMEOUT * 2)

    def book(self, n):
        with httpx.Client(timeout=TIMEOUT) as client:
            while not self.done.is_set():
                n += 1
                try:
                    response = client.post(
                        f"{self.servers[n % 2].url}/bookings", json={"eventId": self.event_id, "qty": 1}, headers=self.headers[n % len(self.headers)]
                    )
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                else:
                    status = response.status_code
                with self.lock:
                    self.booking_statuses[status] += 1
                    if status == 201:
                        self.booked.append(response.json()["id"])

    def read(self):
        with httpx.Client(timeout=TIMEOUT) as client:
            while not self.done.is_set():
                for server in self.servers:
                    with self.lock:
                        booked, prices_acked = len(self.booked), self.prices_acked
                    response = client.get(f"{server.url}/events/{self.event_id}")
                    self.read_statuses[response.status_code] += 1
                    if response.status_code != 200:
                        continue
                    body = response.json()
                    # Seats only go down here: more than capacity - acknowledged bookings is stale;
                    # so is any price older than the last acknowledged one.
                    if body["seats_available"] > CAPACITY - booked or body["price"] in PRICES[: prices_acked - 1]:
                        self.stale.append((server.port, body["seats_available"], CAPACITY - booked, body["price"]))

    def set_price(self, server, organizer, price):
        response = httpx.patch(f"{server.url}/events/{self.event_id}", json={"price": price}, headers=auth(organizer), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        with self.lock:
            self.prices_acked = PRICES.index(price) + 1


def other_writes(server, organizer):
    """Registration, login, an event's create/edit/publish/cancel, a booking and its
    cancellation, through `server`: each answers as it would with Redis up."""
    email = f"outage-{uuid.uuid4().hex[:8]}@example.com"
    register = {"name": "Outage Customer", "email": email, "password": PASSWORD, "role": "CUSTOMER"}
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        assert client.post("/register", json=register).status_code == 201
        login = client.post("/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        customer = {"Authorization": f"Bearer {login.json()['access']}"}
        event = client.post("/events", json=event_body(capacity=5), headers=auth(organizer))
        assert event.status_code == 201, event.text
        path = f"/events/{event.json()['id']}"
        assert client.patch(path, json={"title": "Moved"}, headers=auth(organizer)).status_code == 200
        assert client.post(f"{path}/publish", headers=auth(organizer)).status_code == 200
        booking = client.post("/bookings", json={"eventId": event.json()["id"], "qty": 2}, headers=customer)
        assert booking.status_code == 201, booking.text
        assert client.post(f"/bookings/{booking.json()['id']}/cancel", headers=customer).status_code == 200
        assert client.get(path).json()["seats_available"] == 5
        assert client.post(f"{path}/cancel", json={"reason": "outage drill"}, headers=auth(organizer)).status_code == 200
        assert client.get(path).json()["status"] == "CANCELLED"


def health(server):
    started = time.monotonic()
    response = httpx.get(f"{server.url}/health", timeout=TIMEOUT)
    return response.status_code, response.json()["status"], time.monotonic() - started


def flap(redis, times=3):
    """Down and up again, quickly, a few times; ends up."""
    for _ in range(times):
        redis.kill()
        time.sleep(0.3)
        redis.start()
        time.sleep(0.3)


@pytest.mark.parametrize("fault", ["killed", "refused", "stalled", "flapping", "old_data"])
def test_bookings_and_reads_through_a_redis_outage(cluster, fault, create_event, organizer):
    redis, servers = cluster
    event_id = create_event(publish=True, price=PRICES[0], capacity=CAPACITY)["id"]
    customers = [new_user(Role.CUSTOMER) for _ in range(8)]
    for server in servers:  # a cached copy in Redis, read by both processes
        assert httpx.get(f"{server.url}/events/{event_id}", timeout=TIMEOUT).json()["price"] == PRICES[0]
    if fault == "old_data":
        redis.save()  # what Redis will come back with: the copy before every write below

    with Traffic(servers, event_id, customers) as traffic:
        time.sleep(1)
        if fault == "old_data":
            traffic.set_price(servers[0], organizer, PRICES[1])
            time.sleep(0.5)
            redis.kill()
            redis.start(with_saved_data=True)
        elif fault == "flapping":
            flap(redis)
            traffic.set_price(servers[0], organizer, PRICES[1])
            other_writes(servers[1], organizer)
            flap(redis)
        else:
            redis.pause() if fault == "stalled" else redis.kill()
            for server in servers:
                status, body, seconds = health(server)
                # Bounded by the short Redis timeouts, not the defaults (none): a loose bound, not a speed test.
                assert (status, body) == (503, "degraded") and seconds < 10
            traffic.set_price(servers[0], organizer, PRICES[1])
            other_writes(servers[1], organizer)
            if fault == "killed":
                redis.start()
            elif fault == "stalled":
                redis.resume()
        time.sleep(1)
        traffic.set_price(servers[1], organizer, PRICES[2])
        time.sleep(1.5)

    if fault == "refused":
        redis.start()  # for the next test
    assert traffic.stale == []
    assert set(traffic.booking_statuses) <= {201, 409}, traffic.booking_statuses
    assert traffic.booking_statuses[201] > 0
    assert set(traffic.read_statuses) == {200}, traffic.read_statuses
    event, rows = assert_invariant(event_id)
    assert {row["_id"] for row in rows} == set(traffic.booked)
    for server in servers:
        shown = httpx.get(f"{server.url}/events/{event_id}", timeout=TIMEOUT).json()
        assert (shown["seats_available"], shown["price"]) == (event["seats_available"], PRICES[2])
    assert [health(server)[:2] for server in servers] == [(200, "ok"), (200, "ok")]


def test_notifications_during_and_after_an_outage(cluster, create_event, organizer, customer):
    """The organizer listens on process B. While Redis is dead, a booking through B
    still reaches them (same process) on both transports; one through A does not, then.
    When Redis is back (empty), bookings through A reach them again, daphne untouched,
    and the one it missed comes from the notice log ahead of them."""
    redis, (first, second) = cluster
    event_id = create_event(publish=True, capacity=100)["id"]
    sio = SocketIOListener(second.url, token_for(organizer)).connect()
    ws = WebSocketListener(second.ws_url, token_for(organizer))
    try:
        ws.ready()

        def heard(booking, timeout):
            for listener in (sio, ws):
                listener.wait_for("booking.created", timeout, where=lambda data: data["booking_id"] == booking["id"])

        heard(book_through(first, customer, event_id), TIMEOUT)
        redis.kill()
        heard(book_through(second, customer, event_id), TIMEOUT)
        lost = book_through(first, customer, event_id)
        time.sleep(0.5)  # its publish to the dead Redis has failed by now
        redis.start()
        deadline = time.monotonic() + TIMEOUT
        while True:
            booking = book_through(first, customer, event_id)
            try:
                heard(booking, 1.5)
                break
            except AssertionError:
                assert time.monotonic() < deadline, "cross-process notifications did not resume"
        # The notice Redis lost is in the organizer's log: it arrives once the next one
        # shows the gap, before it and only once (notifications/listener.py Listener).
        heard_ids = [data["booking_id"] for name, data in sio.received if name == "booking.created"]
        assert heard_ids.count(lost["id"]) == 1
        assert heard_ids.index(lost["id"]) < heard_ids.index(booking["id"])
        assert ws.events().count("closed") == 0
    finally:
        sio.close()
        ws.close()
    assert len(confirmed(event_id)) == event_doc(event_id)["tickets_sold"]


def test_login_throttles_keep_counting_while_redis_is_down(cluster):
    """Per process, in memory: guesses at one account stay throttled, and another
    account still logs in (an outage locks no one out)."""
    redis, (server, _) = cluster
    target, other = new_user(Role.CUSTOMER), new_user(Role.CUSTOMER)
    redis.kill()
    try:
        with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
            guesses = [client.post("/login", json={"email": target.email, "password": "wrong-guess"}).status_code for _ in range(7)]
            assert guesses[:5] == [401] * 5 and guesses[5:] == [429, 429]
            assert client.post("/login", json={"email": other.email, "password": PASSWORD}).status_code == 200
    finally:
        redis.start()
