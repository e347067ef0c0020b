"""Plain helpers for the tests (fixtures live in the conftest.py files, helpers here).

Users are made with the fast password hasher of tests/settings.py, which the
server processes of tests/servers.py use too."""

import uuid
from datetime import UTC, datetime, timedelta
from importlib import import_module

import httpx
import jwt
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client

from accounts.models import Role, User
from accounts.services import user_issue_tokens, user_register
from shared.mongo import collection
from tests.realtime.clients import WAIT

PASSWORD = "Correct-Horse-42"
STAFF_EMAIL = "staff@example.com"


# Users and tokens -------------------------------------------------------------


def new_user(role=Role.CUSTOMER, name=None, email=None):
    tag = uuid.uuid4().hex[:8]
    return user_register(
        name=name or f"{role.title()} {tag}",
        email=email or f"{role.lower()}-{tag}@example.com",
        password=PASSWORD,
        role=role,
    )


def token_for(user):
    return user_issue_tokens(user=user)["access"]


def make_customers(count):
    """`count` new customers' access tokens."""
    return [token_for(new_user(Role.CUSTOMER)) for _ in range(count)]


def forge_token(user, *, expired=False, key=None):
    """An access token signed with the server's key (or another), optionally expired."""
    moment = datetime.now(UTC)
    exp = moment - timedelta(minutes=1) if expired else moment + timedelta(minutes=5)
    claims = {"token_type": "access", "exp": exp, "iat": moment - timedelta(minutes=10), "jti": "forged", "user_id": str(user.pk)}
    return jwt.encode(claims, key or settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


def browser_for(user):
    """A Django test client whose session is logged in as `user`: the state a login
    leaves behind (a session row that names the user), for tests about something
    other than logging in."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


def staff_without_permissions():
    """is_staff, not a superuser, no model permissions."""
    return User.objects.create_user(email="clerk@example.com", password=PASSWORD, name="Clerk", role=Role.ORGANIZER, is_staff=True)


# Events -----------------------------------------------------------------------


def future(days=30, hours=0):
    return datetime.now(UTC) + timedelta(days=days, hours=hours)


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def event_body(**overrides):
    """A complete event for POST /events; an override of None leaves that field out."""
    body = {
        "title": "Jazz Night",
        "description": "Live quartet",
        "city": "Lyon",
        "venue": "Le Sucre",
        "tags": ["jazz", "live"],
        "starts_at": iso(future()),
        "price": "12.50",
        "capacity": 50,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def event_doc(event_id):
    return collection("events").find_one({"_id": event_id})


def seat_counters(qty, price_cents, *, prefix=""):
    """The $inc a booking of `qty` makes on the counters under `prefix` ("" the event's, "types.0." a type's)."""
    return {f"{prefix}seats_available": -qty, f"{prefix}tickets_sold": qty, f"{prefix}revenue_cents": qty * price_cents}


def sell(event_id, qty, price_cents=1250, type_index=0):
    """Seats sold, written straight into the event (and its type) as a booking would (bookings are another app)."""
    collection("events").update_one(
        {"_id": event_id},
        {"$inc": {**seat_counters(qty, price_cents), **seat_counters(qty, price_cents, prefix=f"types.{type_index}.")}},
    )


# Bookings ---------------------------------------------------------------------


def book(client, event_id, qty=1, ticket_type_id=None, **headers):
    """POST /bookings through a test client (of the event's only type unless `ticket_type_id`)."""
    body = {"eventId": event_id, "qty": qty}
    if ticket_type_id:
        body["ticketTypeId"] = ticket_type_id
    return client.post("/bookings", body, format="json", headers=headers or None)


def post_as(server, user, path, body=None, status=200):
    """POST through a real server process as `user`; assert the status; return the JSON."""
    response = httpx.post(
        f"{server.url}{path}", json=body, headers={"Authorization": f"Bearer {token_for(user)}"}, timeout=WAIT
    )
    assert response.status_code == status, response.text
    return response.json()


def book_through(server, user, event_id, qty=1):
    """A booking made through a real server process; returns it."""
    return post_as(server, user, "/bookings", {"eventId": event_id, "qty": qty}, status=201)


def confirmed(event_id):
    return list(collection("bookings").find({"event_id": event_id, "status": "CONFIRMED"}))


def _assert_counts(holder, rows, holds):
    seats = sum(row["qty"] for row in rows)
    # A document from before holds has no seats_held: none held.
    held = holder.get("seats_held", 0)
    assert held == sum(hold["qty"] for hold in holds), (holder, holds)
    assert holder["capacity"] == holder["seats_available"] + held + seats, (holder, held, seats)
    assert holder["tickets_sold"] == seats, (holder, seats)
    assert holder["revenue_cents"] == sum(row["amount_cents"] for row in rows), holder


def assert_invariant(event_id):
    """Per event and per ticket type: capacity == seats_available + seats_held + confirmed
    seats; seats_held the qty of its holds; sold and revenue equal the bookings'; every
    booking and hold names one of its types; no marker left."""
    event = event_doc(event_id)
    rows = confirmed(event_id)
    holds = holds_of(event_id)
    assert event["pending"] == []
    _assert_counts(event, rows, holds)
    assert event["capacity"] <= sum(t["capacity"] for t in event["types"])
    type_ids = [t["id"] for t in event["types"]]
    assert {row["ticket_type_id"] for row in rows} | {hold["type"] for hold in holds} <= set(type_ids), (rows, holds, type_ids)
    for ticket_type in event["types"]:
        of_type = [hold for hold in holds if hold["type"] == ticket_type["id"]]
        _assert_counts(ticket_type, [row for row in rows if row["ticket_type_id"] == ticket_type["id"]], of_type)
    return event, rows


# Waiting list and holds ---------------------------------------------------------


def holds_of(event_id):
    """The event's live holds as stored (their own collection), oldest first, `id` for `_id`."""
    found = collection("holds").find({"event_id": event_id, "state": "LIVE"}).sort([("at", 1), ("_id", 1)])
    return [{**hold, "id": hold["_id"]} for hold in found]


def hold_expire(hold_id, seconds_ago=1):
    """Make a hold's expiry `seconds_ago` in the past, as if its time had run out."""
    collection("holds").update_one({"_id": hold_id}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=seconds_ago)}})


def line_of(event_id):
    """The event's waiting-list entries as stored (their own collection), in line order, `id` for `_id`."""
    found = collection("waitlist_entries").find({"event_id": event_id, "state": {"$ne": "VOID"}}).sort([("seq", 1), ("_id", 1)])
    return [{**entry, "id": entry["_id"]} for entry in found]


def assert_seats_add_up(event_id):
    """assert_invariant (capacity == seats_available + seats_held + confirmed seats, per
    event and type), and the waiting line's: each type's waitlist_waiting counts its
    WAITING entries; an entry is OFFERED exactly when its hold is there. Returns the event."""
    event, _ = assert_invariant(event_id)
    line = line_of(event_id)
    for ticket_type in event["types"]:
        waiting = [e for e in line if e["type"] == ticket_type["id"] and e["state"] == "WAITING"]
        assert ticket_type.get("waitlist_waiting", 0) == len(waiting), (ticket_type, line)
    holds = {hold["id"]: hold for hold in holds_of(event_id)}
    for entry in line:
        assert (entry["state"] == "OFFERED") == (entry["hold"] in holds), (entry, holds)
        if entry["state"] == "OFFERED":
            assert holds[entry["hold"]]["entry"] == entry["id"], (entry, holds)
    return event
