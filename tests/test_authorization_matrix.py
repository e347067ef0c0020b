"""Who may call what: every route x method x actor, one real HTTP request per cell.

The routes and their methods are read from the URL resolver (each route's APIView
and the handlers it defines), so a new endpoint or method without a row in MATRIX
fails `test_every_route_and_method_has_a_row`. /admin/ is left out (Django's admin,
session login for staff: tests/admin/); the documentation pages /schema/ and
/docs/ are public rows. Socket.io and /ws/notifications/ are not Django routes:
tests/realtime/test_refusals.py covers who may connect.

Each cell gets fresh resources (a new draft for each publish, a new booking for
each cancel), so one actor's success never changes the next actor's answer.
"""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import ANYONE, RolePermission
from accounts.services import user_issue_tokens, user_register
from bookings.services import booking_create
from bookings.services.holds import hold_create
from shared.errors import unknown_route
from shared.mongo import collection
from shared.timeutil import now
from events.services import event_create, event_publish
from waitlist.services import waitlist_join
from webhooks.services import webhook_create
from webhooks.worker import enqueue
from tests.helpers import PASSWORD, new_user
from tests.docs.conformance import SchemaCheckedClient

ANON, CUSTOMER, OTHER_CUSTOMER, ORGANIZER, OTHER_ORGANIZER = ACTORS = (
    "anonymous", "customer", "other customer", "organizer", "other organizer",
)

# The resource a row acts on is owned by ORGANIZER (events) or CUSTOMER (bookings, holds).
# method   route                                 resource          anonymous  customer  other cust.  organizer  other org.
MATRIX = [
    ("GET",   "/health",                          None,               200,      200,      200,         200,       200),
    ("GET",   "/schema/",                         None,               200,      200,      200,         200,       200),
    ("GET",   "/docs/",                           None,               200,      200,      200,         200,       200),
    ("POST",  "/register",                        None,               201,      201,      201,         201,       201),
    ("POST",  "/login",                           None,               200,      200,      200,         200,       200),
    ("POST",  "/token/refresh",                   None,               200,      200,      200,         200,       200),
    ("GET",   "/me",                              None,               401,      200,      200,         200,       200),
    ("GET",   "/events",                          None,               200,      200,      200,         200,       200),
    ("POST",  "/events",                          None,               401,      403,      403,         201,       201),
    ("GET",   "/events/me",                       None,               401,      403,      403,         200,       200),
    ("GET",   "/events/<str:event_id>",           "published event",  200,      200,      200,         200,       200),
    ("GET",   "/events/<str:event_id>",           "draft",            404,      404,      404,         200,       404),
    ("GET",   "/events/<str:event_id>",           "unknown event",    404,      404,      404,         404,       404),
    ("PATCH", "/events/<str:event_id>",           "published event",  401,      403,      403,         200,       403),
    ("PATCH", "/events/<str:event_id>",           "unknown event",    401,      403,      403,         404,       404),
    ("DELETE", "/events/<str:event_id>",          "draft",            401,      403,      403,         204,       404),
    ("DELETE", "/events/<str:event_id>",          "published event",  401,      403,      403,         409,       404),
    ("DELETE", "/events/<str:event_id>",          "unknown event",    401,      403,      403,         404,       404),
    ("PUT",   "/events/<str:event_id>/types",     "published event",  401,      403,      403,         200,       403),
    ("PUT",   "/events/<str:event_id>/types",     "unknown event",    401,      403,      403,         404,       404),
    ("POST",  "/events/<str:event_id>/publish",   "draft",            401,      403,      403,         200,       403),
    ("POST",  "/events/<str:event_id>/publish",   "unknown event",    401,      403,      403,         404,       404),
    ("POST",  "/events/<str:event_id>/cancel",    "published event",  401,      403,      403,         200,       403),
    ("POST",  "/events/<str:event_id>/cancel",    "unknown event",    401,      403,      403,         404,       404),
    ("POST",  "/bookings",                        "published event",  401,      201,      201,         403,       403),
    ("GET",   "/bookings/me",                     None,               401,      200,      200,         403,       403),
    ("GET",   "/bookings/<str:booking_id>",       "booking",          401,      200,      404,         200,       404),
    ("GET",   "/bookings/<str:booking_id>",       "unknown booking",  401,      404,      404,         404,       404),
    ("POST",  "/bookings/<str:booking_id>/cancel", "booking",         401,      200,      403,         403,       403),
    ("POST",  "/bookings/<str:booking_id>/cancel", "unknown booking", 401,      404,      404,         403,       403),
    ("GET",   "/analytics/me",                    None,               401,      403,      403,         200,       200),
    ("GET",   "/analytics/me/sales",              None,               401,      403,      403,         200,       200),
    ("GET",   "/events/<str:event_id>/attendees", "published event",  401,      404,      404,         200,       404),
    ("GET",   "/events/<str:event_id>/attendees", "unknown event",    401,      404,      404,         404,       404),
    ("POST",  "/holds",                           "published event",  401,      201,      201,         403,       403),
    ("GET",   "/holds/me",                        None,               401,      200,      200,         403,       403),
    ("GET",   "/holds/<str:hold_id>",             "hold",             401,      200,      404,         403,       403),
    ("GET",   "/holds/<str:hold_id>",             "unknown hold",     401,      404,      404,         403,       403),
    ("DELETE", "/holds/<str:hold_id>",            "hold",             401,      204,      404,         403,       403),
    ("DELETE", "/holds/<str:hold_id>",            "unknown hold",     401,      404,      404,         403,       403),
    ("POST",  "/events/<str:event_id>/waitlist",  "sold-out event",   401,      201,      201,         403,       403),
    ("POST",  "/events/<str:event_id>/waitlist",  "unknown event",    401,      404,      404,         403,       403),
    ("GET",   "/waitlist/me",                     None,               401,      200,      200,         403,       403),
    ("DELETE", "/waitlist/<str:entry_id>",        "entry",            401,      204,      403,         403,       403),
    ("DELETE", "/waitlist/<str:entry_id>",        "unknown entry",    401,      404,      404,         403,       403),
    ("GET",   "/.well-known/ticket-keys",          None,               200,      200,      200,         200,       200),
    ("GET",   "/bookings/<str:booking_id>/tickets", "booking",        401,      200,      404,         404,       404),
    ("GET",   "/bookings/<str:booking_id>/tickets", "unknown booking", 401,     404,      404,         404,       404),
    ("POST",  "/events/<str:event_id>/checkins",  "ticket",           401,      403,      403,         201,       403),
    ("POST",  "/events/<str:event_id>/checkins",  "unknown event",    401,      404,      404,         404,       404),
    ("GET",   "/events/<str:event_id>/checkins",  "published event",  401,      403,      403,         200,       403),
    ("GET",   "/events/<str:event_id>/checkins",  "unknown event",    401,      404,      404,         404,       404),
    ("POST",  "/events/<str:event_id>/checkins/batch", "ticket",      401,      403,      403,         200,       403),
    ("GET",   "/events/<str:event_id>/revocations", "published event", 401,     403,      403,         200,       403),
    ("GET",   "/events/<str:event_id>/revocations", "unknown event",  401,      404,      404,         404,       404),
    ("GET",   "/events/<str:event_id>/door-staff", "published event", 401,      403,      403,         200,       403),
    ("GET",   "/events/<str:event_id>/door-staff", "unknown event",   401,      403,      403,         404,       404),
    ("POST",  "/events/<str:event_id>/door-staff", "published event", 401,      403,      403,         201,       403),
    ("DELETE", "/events/<str:event_id>/door-staff/<str:email>", "door staff", 401, 403,   403,         204,       403),
    ("DELETE", "/events/<str:event_id>/door-staff/<str:email>", "unknown event", 401, 403, 403,        404,       404),
    ("GET",   "/notices",                         None,               401,      200,      200,         200,       200),
    ("GET",   "/webhooks",                        None,               401,      403,      403,         200,       200),
    ("POST",  "/webhooks",                        None,               401,      403,      403,         201,       201),
    ("GET",   "/webhooks/<str:webhook_id>",       "webhook",          401,      403,      403,         200,       404),
    ("GET",   "/webhooks/<str:webhook_id>",       "unknown webhook",  401,      403,      403,         404,       404),
    ("PATCH", "/webhooks/<str:webhook_id>",       "webhook",          401,      403,      403,         200,       404),
    ("DELETE", "/webhooks/<str:webhook_id>",      "webhook",          401,      403,      403,         204,       404),
    ("POST",  "/webhooks/<str:webhook_id>/rotate-secret", "webhook",  401,      403,      403,         200,       404),
    ("GET",   "/webhooks/<str:webhook_id>/deliveries", "webhook",     401,      403,      403,         200,       404),
    ("POST",  "/webhooks/<str:webhook_id>/deliveries/<str:delivery_id>/redeliver", "delivery",
                                                                      401,      403,      403,         202,       404),
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# Swagger UI renders HTML only: its errors are plain text, not the JSON error shape.
HTML_ROUTES = {"/docs/"}


# The routes, from the resolver -------------------------------------------------


def walk(patterns, prefix):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith("/admin/") or getattr(pattern, "callback", None) is unknown_route:
            continue  # the catch-all JSON 404 is tested in tests/foundation/test_hardening_probes.py
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, route)
        else:
            yield route, pattern.callback


def discovered_routes():
    """{route: APIView class} for every route outside /admin/."""
    routes = {}
    for route, callback in walk(get_resolver().url_patterns, "/"):
        view = getattr(callback, "cls", None)
        assert view is not None and issubclass(view, APIView), f"{route} is not an API view: add it to the matrix or exclude it"
        routes[route] = view
    return routes


def declared_methods(view):
    """The HTTP methods the view has a handler for (OPTIONS, which every APIView answers, aside)."""
    return [method for method in METHODS if hasattr(view, method.lower())]


# Actors and resources ----------------------------------------------------------


@pytest.fixture
def world():
    users = {
        CUSTOMER: new_user(Role.CUSTOMER),
        OTHER_CUSTOMER: new_user(Role.CUSTOMER),
        ORGANIZER: new_user(Role.ORGANIZER),
        OTHER_ORGANIZER: new_user(Role.ORGANIZER),
    }
    return users


def client_as(world, actor):
    # Each answer is also checked against the OpenAPI schema (tests/docs/conformance.py).
    client = SchemaCheckedClient()
    if actor != ANON:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {user_issue_tokens(user=world[actor])['access']}")
    return client


def new_event(world, publish, capacity=50):
    data = {"title": "Jazz Night", "city": "Lyon", "venue": "Le Sucre", "starts_at": now() + timedelta(days=30),
            "price_cents": 1250, "capacity": capacity}
    event = event_create(organizer=world[ORGANIZER], data=data)
    if publish:
        event_publish(event_id=event["_id"], actor=world[ORGANIZER])
    return event["_id"]


def new_booking(world):
    booking, _, _ = booking_create(customer=world[CUSTOMER], event_id=new_event(world, publish=True), qty=1)
    return booking["_id"]


def sold_out_event(world):
    """A published event of one seat, booked by the other customer."""
    event_id = new_event(world, publish=True, capacity=1)
    booking_create(customer=world[OTHER_CUSTOMER], event_id=event_id, qty=1)
    return event_id


def new_entry(world):
    entry, _ = waitlist_join(customer=world[CUSTOMER], event_id=sold_out_event(world), qty=1)
    return entry["id"]


def new_hold(world):
    hold, _ = hold_create(customer=world[CUSTOMER], event_id=new_event(world, publish=True), qty=1)
    return hold["id"]


def new_ticket(world):
    """A ticket of the customer's (its event and its code)."""
    from tickets.codes import Ticket, code_for

    event_id = new_event(world, publish=True)
    booking, _, _ = booking_create(customer=world[CUSTOMER], event_id=event_id, qty=1)
    return {"event_id": event_id, "code": code_for(Ticket(event_id=event_id, booking_id=booking["_id"], seat=1,
                                                          ticket_type_id=booking["ticket_type_id"]))}


def new_door_staff(world):
    from tickets.services import door_staff_grant

    event_id = new_event(world, publish=True)
    door_staff_grant(event_id=event_id, actor=world[ORGANIZER], email=world[OTHER_CUSTOMER].email)
    return {"event_id": event_id, "email": world[OTHER_CUSTOMER].email}
def new_webhook(world):
    return webhook_create(organizer=world[ORGANIZER], url="https://hooks.example.com/in", events=["booking.created"])["_id"]


def new_delivery(world):
    webhook_id = new_webhook(world)
    new_booking(world)
    enqueue()
    return {"webhook_id": webhook_id, "delivery_id": collection("webhook_deliveries").find_one({"webhook_id": webhook_id})["_id"]}


RESOURCES = {
    None: lambda world: {},
    "published event": lambda world: {"event_id": new_event(world, publish=True)},
    "draft": lambda world: {"event_id": new_event(world, publish=False)},
    "unknown event": lambda world: {"event_id": "EVT-9999", "email": "nobody@example.com"},
    "booking": lambda world: {"booking_id": new_booking(world)},
    "unknown booking": lambda world: {"booking_id": "BK-9999"},
    "hold": lambda world: {"hold_id": new_hold(world)},
    "unknown hold": lambda world: {"hold_id": "HLD-9999"},
    "sold-out event": lambda world: {"event_id": sold_out_event(world)},
    "entry": lambda world: {"entry_id": new_entry(world)},
    "unknown entry": lambda world: {"entry_id": "WL-9999"},
    "ticket": new_ticket,
    "door staff": new_door_staff,
    "webhook": lambda world: {"webhook_id": new_webhook(world)},
    "unknown webhook": lambda world: {"webhook_id": "WH-9999"},
    "delivery": new_delivery,
}


def new_account(world, actor, ids):
    email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    return {"name": "New", "email": email, "password": PASSWORD, "role": "CUSTOMER"}


def own_credentials(world, actor, ids):
    # Login is public: the caller's token changes nothing. A fresh account keeps the
    # per-email throttle out of the way.
    body = new_account(world, actor, ids)
    user_register(**body)
    return {"email": body["email"], "password": PASSWORD}


def own_refresh_token(world, actor, ids):
    return {"refresh": user_issue_tokens(user=world[CUSTOMER if actor == ANON else actor])["refresh"]}


BODIES = {
    ("POST", "/register"): new_account,
    ("POST", "/login"): own_credentials,
    ("POST", "/token/refresh"): own_refresh_token,
    ("POST", "/events"): lambda world, actor, ids: {"title": "Gig", "capacity": 10, "price": "5.00"},
    ("PATCH", "/events/<str:event_id>"): lambda world, actor, ids: {"title": "Renamed"},
    ("PUT", "/events/<str:event_id>/types"): lambda world, actor, ids: {"types": [{"name": "Standing", "capacity": 10}]},
    ("POST", "/events/<str:event_id>/cancel"): lambda world, actor, ids: {"reason": "Rain"},
    ("POST", "/bookings"): lambda world, actor, ids: {"eventId": ids["event_id"], "qty": 1},
    ("POST", "/holds"): lambda world, actor, ids: {"eventId": ids["event_id"], "qty": 1},
    ("POST", "/events/<str:event_id>/waitlist"): lambda world, actor, ids: {"qty": 1},
    ("POST", "/events/<str:event_id>/checkins"): lambda world, actor, ids: {"code": ids.get("code", "X" * 140), "gate": "Main",
                                                                            "nonce": f"matrix-{uuid.uuid4().hex}"},
    ("POST", "/events/<str:event_id>/checkins/batch"): lambda world, actor, ids: {"scans": [
        {"code": ids["code"], "gate": "Main", "nonce": f"matrix-{uuid.uuid4().hex}"}]},
    ("POST", "/events/<str:event_id>/door-staff"): lambda world, actor, ids: {"email": world[CUSTOMER].email},
    ("POST", "/webhooks"): lambda world, actor, ids: {"url": "https://hooks.example.com/in", "events": ["booking.created"]},
    ("PATCH", "/webhooks/<str:webhook_id>"): lambda world, actor, ids: {"active": False},
}


def fill(route, ids):
    for name, value in ids.items():
        route = route.replace(f"<str:{name}>", value)
    return route


def call(client, method, path, body=None, **headers):
    if body is None:
        return client.generic(method, path, **headers)
    return client.generic(method, path, json.dumps(body), content_type="application/json", **headers)


# Tests -------------------------------------------------------------------------


def test_every_route_and_method_has_a_row():
    routes = discovered_routes()
    served = {(method, route) for route, view in routes.items() for method in declared_methods(view)}
    tabled = {(method, route) for method, route, *_ in MATRIX}
    assert served - tabled == set(), "endpoints without a row in MATRIX"
    assert tabled - served == set(), "rows for endpoints that no longer exist"


@pytest.mark.parametrize(
    "method, route, resource, expected",
    [(method, route, resource, dict(zip(ACTORS, statuses))) for method, route, resource, *statuses in MATRIX],
    ids=[f"{method} {route} [{resource or '-'}]" for method, route, resource, *_ in MATRIX],
)
def test_who_may_call(world, method, route, resource, expected):
    answered = {}
    for actor in ACTORS:
        ids = RESOURCES[resource](world)
        body = BODIES.get((method, route), lambda *args: None)(world, actor, ids)
        response = call(client_as(world, actor), method, fill(route, ids), body)
        answered[actor] = response.status_code
        if response.status_code >= 400 and route not in HTML_ROUTES:
            error = response.json()["error"]
            assert error["code"] and error["message"], (actor, response.content)
    assert answered == expected


# Routes served by drf-spectacular, which reads its own parameters (`format`, `lang`).
LIBRARY_ROUTES = {"/schema/", "/docs/"}


def test_every_route_refuses_an_unknown_query_parameter(world):
    """One check for every view (shared/endpoint.py): a parameter the route does not
    take is a 400 naming it, before anything is done, for an actor the route would serve."""
    checked = 0
    for method, route, resource, *statuses in MATRIX:
        allowed = [actor for actor, status in zip(ACTORS, statuses) if status < 400 or status in (404, 409)]
        if route in LIBRARY_ROUTES or not allowed:
            continue
        actor = allowed[0]
        ids = RESOURCES[resource](world)
        body = BODIES.get((method, route), lambda *args: None)(world, actor, ids)
        response = call(client_as(world, actor), method, f"{fill(route, ids)}?colour=red", body)
        assert response.status_code == 400, (method, route, actor, response.content)
        assert response.json()["error"]["fields"] == {"colour": ["Unknown field."]}, (method, route)
        checked += 1
    assert checked >= len(discovered_routes()) - len(LIBRARY_ROUTES)


def route_paths(world):
    ids = {"event_id": new_event(world, publish=True), "booking_id": new_booking(world), "hold_id": new_hold(world)}
    return {route: (view, fill(route, ids)) for route, view in discovered_routes().items()}


def test_undeclared_methods_answer_405_in_the_error_shape(world):
    checked = 0
    for route, (view, path) in route_paths(world).items():
        for method in set(METHODS) - set(declared_methods(view)):
            for actor in (ANON, ORGANIZER):
                html = route in HTML_ROUTES
                response = call(client_as(world, actor), method, path, {}, **({} if html else {"HTTP_ACCEPT": "application/json"}))
                assert response.status_code == 405, (method, route, actor)
                if html:
                    assert response.content == b"405 Method Not Allowed"
                else:
                    assert response.json()["error"]["code"] == "method_not_allowed"
                    assert method in response.json()["error"]["message"]
                checked += 1
    assert checked > 50  # DELETE /events, PUT /bookings, GET /login, ...


@pytest.mark.parametrize("route", sorted({route for _, route, *_ in MATRIX}))
def test_options_names_exactly_the_declared_methods(world, route):
    view, path = route_paths(world)[route]
    response = call(APIClient(), "OPTIONS", path)
    assert response.status_code == 200
    allowed = {method.strip() for method in response["Allow"].split(",")}
    declared = set(declared_methods(view))
    assert allowed == declared | {"OPTIONS"} | ({"HEAD"} if "GET" in declared else set())


class Unruled(APIView):
    """A view whose author forgot the rule for POST."""

    roles = {"GET": ANYONE}
    permission_classes = [RolePermission]

    def get(self, request):
        return Response({"read": True})

    def post(self, request):
        return Response({"written": True})


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.CUSTOMER])
def test_a_method_without_a_role_rule_is_denied(role):
    """Authorization fails closed: forgetting a rule denies the method instead of opening it."""
    user = new_user(role)
    factory = APIRequestFactory()
    read, write = factory.get("/unruled"), factory.post("/unruled", {}, format="json")
    for request in (read, write):
        force_authenticate(request, user=user)
    assert Unruled.as_view()(read).status_code == 200
    response = Unruled.as_view()(write)
    assert response.status_code == 403 and response.data["error"]["code"] == "permission_denied"
