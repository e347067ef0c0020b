"""Every response the test clients get must answer with a status that the
OpenAPI schema lists for its operation (see docs/testing.md, "The schema is a contract").

The `api` and `client_for` fixtures are `SchemaCheckedClient`s, so this holds for
the whole suite, not only for the tests in tests/docs. What is checked:

- The request path is resolved by Django's own URL resolver and its route turned
  into the schema's path template (`events/<str:event_id>` -> `/events/{event_id}`),
  so `/events/me` is `/events/me`, never `/events/{event_id}`.
- Paths outside the schema are not checked: unknown routes (tests probe them for
  the 404 of `shared.errors.not_found_view`), `/admin/`, `/schema/`, `/docs/`.
- A documented operation must answer a documented status, and every 4xx/5xx must
  be the error shape {"error": {"code", "message", ...}}.
- A method the schema does not document on a known path must answer 405 (HEAD
  is checked as GET, which Django runs for it). OPTIONS is not checked: it is the
  CORS preflight and DRF's metadata answer, protocol rather than API operations.
"""

import json
import re
from functools import cache

from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient


@cache
def api_schema():
    """The schema /schema/ serves, generated once per test session."""
    return SchemaGenerator().get_schema(request=None, public=True)


def path_template(path):
    """The schema path of the route Django dispatches `path` to, or None for no route."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", match.route)


def _is_error_shape(content):
    try:
        error = json.loads(content)["error"]
    except (ValueError, TypeError, KeyError):
        return False
    return isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str)


def schema_problem(method, path, status, content=b"", schema=None):
    """Why this response breaks the schema, or None when it conforms or is not covered."""
    schema = schema or api_schema()
    template = path_template(path)
    if template not in schema["paths"] or method == "OPTIONS":
        return None
    operations = schema["paths"][template]
    operation = operations.get("get" if method == "HEAD" else method.lower())
    where = f"{method} {path} (schema path {template})"
    if operation is None:
        if status != 405:
            return f"{where} answered {status}; the schema documents only {sorted(operations)} here, so it must be 405"
    elif not {str(status), f"{status // 100}XX", "default"} & set(operation["responses"]):
        return f"{where} answered {status}, which the schema does not list (it lists {sorted(operation['responses'])})"
    if status >= 400 and method != "HEAD" and not _is_error_shape(content):
        return f"{where} answered {status} without the error shape: {content[:200]!r}"
    return None


class SchemaCheckedClient(APIClient):
    """DRF's test client that fails the test on a response the schema does not document."""

    def __init__(self, *args, schema=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema

    def request(self, **kwargs):
        response = super().request(**kwargs)
        problem = schema_problem(
            kwargs["REQUEST_METHOD"], kwargs["PATH_INFO"], response.status_code, response.content, self.schema
        )
        if problem:
            raise AssertionError(f"undocumented response: {problem}")
        return response
