"""The OpenAPI schema: generated without warnings, valid, complete, and enforced
on every response the test clients get (tests/docs/conformance.py)."""

import copy
import json

import pytest
from django.urls import path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.views import APIView

from tests.docs.conformance import SchemaCheckedClient, api_schema, schema_problem

ALWAYS = {"400", "405", "413", "415", "500"}
ERROR = b'{"error": {"code": "some_code", "message": "Some message."}}'


def generate(**kwargs):
    """What `manage.py spectacular --validate --fail-on-warn` does, in-process: the schema and its warnings."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(**kwargs).get_schema(request=None, public=True)
    problems = sorted(GENERATOR_STATS._warn_cache) + sorted(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return schema, problems


def operations():
    for route, item in api_schema()["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {route}", operation


def test_the_schema_generates_without_warnings_and_is_valid_openapi():
    schema, problems = generate()
    assert problems == []
    validate_schema(schema)


def test_the_generation_check_does_catch_an_undocumented_view():
    class Undocumented(APIView):
        def get(self, request):
            pass

    _, problems = generate(patterns=[path("undocumented", Undocumented.as_view())])
    assert any("unable to guess serializer" in problem for problem in problems)


def test_the_served_schema_is_the_generated_one(api):
    served = json.loads(api.get("/schema/?format=json").content)
    assert served == json.loads(json.dumps(api_schema(), default=str))


def test_every_operation_documents_its_errors_and_auth():
    for label, operation in operations():
        responses = operation["responses"]
        assert operation.get("summary"), label
        assert any(status.startswith("2") for status in responses), label
        if label == "GET /health":
            continue
        assert ALWAYS <= set(responses), label
        for status, response in responses.items():
            if status >= "400":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (label, status)
        security = operation.get("security", [])
        if {"jwtAuth": []} in security:
            # A token is read: a bad one is a 401; a required one can be refused (403).
            assert "401" in responses, label
            assert {} in security or "403" in responses, label


def test_booking_creation_documents_idempotency():
    operation = api_schema()["paths"]["/bookings"]["post"]
    [key] = [param for param in operation["parameters"] if param["name"] == "Idempotency-Key"]
    assert key["in"] == "header" and not key.get("required")
    assert {"200", "201", "404", "409", "422"} <= set(operation["responses"])
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]


def test_a_public_route_documents_the_401_of_a_bad_token(api):
    # Anyone may list events, but a token that is sent is verified.
    response = api.get("/events", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401
    security = api_schema()["paths"]["/events"]["get"]["security"]
    assert {} in security and {"jwtAuth": []} in security


# The checker behind the `api` and `client_for` fixtures ---------------------------


def without(status, route, method):
    schema = copy.deepcopy(api_schema())
    del schema["paths"][route][method]["responses"][status]
    return schema


def test_the_client_fails_a_test_on_an_undocumented_status(customer):
    strict = SchemaCheckedClient(schema=without("404", "/bookings/{booking_id}/cancel", "post"))
    strict.force_authenticate(customer)
    with pytest.raises(AssertionError, match=r"POST /bookings/BK-9999/cancel .* answered 404, which the schema does not list"):
        strict.post("/bookings/BK-9999/cancel")


def test_the_client_passes_a_documented_status(customer_client):
    assert customer_client.post("/bookings/BK-9999/cancel").status_code == 404


def test_routes_resolve_like_django_does():
    assert schema_problem("GET", "/events/me", 401, ERROR) is None
    # /events/me is its own route: a 404 there is not /events/{event_id}'s.
    assert "answered 404" in schema_problem("GET", "/events/me", 404)
    assert schema_problem("GET", "/events/EVT-0001", 404, ERROR) is None


def test_what_the_checker_leaves_out_and_what_it_requires():
    # Outside the schema: unknown routes (probed for 404 on purpose), the admin, the docs.
    assert schema_problem("GET", "/no-such-route", 404) is None
    assert schema_problem("GET", "/admin/", 302) is None
    assert schema_problem("GET", "/docs/", 200) is None
    # OPTIONS is CORS preflight and DRF metadata, not an API operation.
    assert schema_problem("OPTIONS", "/events", 200) is None
    # A method the schema does not document on a known path must be 405.
    assert schema_problem("PUT", "/events/EVT-0001", 405, ERROR) is None
    assert "must be 405" in schema_problem("DELETE", "/bookings", 204)
    assert "error shape" in schema_problem("DELETE", "/bookings", 405, b"Method Not Allowed")
    # HEAD is checked as the GET Django runs for it.
    assert schema_problem("HEAD", "/events", 200) is None
    assert "does not list" in schema_problem("HEAD", "/events", 409)
    # Errors must be in the one shape.
    assert "error shape" in schema_problem("GET", "/bookings/me", 401, b"<html>Unauthorized</html>")
