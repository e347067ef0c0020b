"""The one error shape, and the domain errors every app raises.

Every 4xx/5xx answer is::

    {"error": {"code": "not_enough_seats", "message": "Only 3 seats left.",
               "fields": {...}, ...extra}}

`code` is stable and machine-readable, `message` is for people, `fields` maps a
field name to its messages (validation errors only). Views never build error
responses themselves: they raise, and `exception_handler` answers.
"""

import logging
import sys

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.urls import resolve
from django.views.decorators.csrf import csrf_exempt
from pymongo.errors import ConnectionFailure
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger("eventbooking.errors")


class DomainError(Exception):
    """A rule of the business was broken; subclasses set status and code."""

    status_code = 400
    code = "bad_request"
    message = "The request cannot be processed."
    # The request field the error is about, when one is: the message is also its field error.
    field = None

    def __init__(self, message=None, *, code=None, field=None, **extra):
        self.message = message or self.message
        self.code = code or self.code
        field = field or self.field
        if field and "fields" not in extra:
            extra["fields"] = {field: [self.message]}
        self.extra = extra
        super().__init__(self.message)


class Forbidden(DomainError):
    """The caller may not do this to this object (their role may do it to their own)."""

    status_code = 403
    code = "permission_denied"
    message = "You may not do this."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Unprocessable(DomainError):
    status_code = 422
    code = "unprocessable"


def error_body(code, message, fields=None, **extra):
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    return {"error": error}


def _validation_fields(detail):
    if isinstance(detail, dict):
        return {key: _validation_fields(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_validation_fields(item) for item in detail]
    return [str(detail)]


def _first_message(fields):
    for name, value in fields.items():
        while isinstance(value, (list, dict)) and value:
            value = value[0] if isinstance(value, list) else next(iter(value.values()))
        label = "" if name == "non_field_errors" else f"{name}: "
        return f"{label}{value}"
    return "Invalid input."


def database_outage(exc):
    """The PyMongo error behind `exc` when it says the database cannot be reached now (no
    server selected in MONGODB_TIMEOUT_MS, a connection refused, lost or timed out, a
    primary stepping down: ConnectionFailure and its subclasses ServerSelectionTimeoutError,
    AutoReconnect, NetworkTimeout), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ConnectionFailure):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def database_unavailable(response_class, exc, request=None):
    """503 database_unavailable with Retry-After. A write that got it may or may not have
    happened: retried with the same Idempotency-Key, a booking is made once."""
    if not getattr(request, "database_unavailable_logged", False):
        # Once per request: outside the API views a middleware's response step may hit it again.
        logger.warning(
            "Database unavailable request_id=%s %s %s: %s",
            getattr(request, "request_id", "-"), getattr(request, "method", "-"), getattr(request, "path", "-"),
            exc.__class__.__name__,
        )
        if request is not None:
            request.database_unavailable_logged = True
    seconds = settings.DATABASE_RETRY_AFTER_SECONDS
    body = error_body("database_unavailable", "The database cannot be reached; retry shortly.", retry_after=seconds)
    return response_class(body, status=503, headers={"Retry-After": str(seconds)})


def exception_handler(exc, context):
    outage = database_outage(exc)
    if outage is not None:
        return database_unavailable(Response, outage, context.get("request"))
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, **exc.extra), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error(
            "Unhandled error request_id=%s %s %s",
            getattr(request, "request_id", "-"), getattr(request, "method", "-"), getattr(request, "path", "-"),
            exc_info=exc,
        )
        response = Response(error_body("server_error", "Internal server error."), status=500)
        response._has_been_logged = True  # logged once, here: Django's django.request would log it again
        return response

    if isinstance(exc, drf.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = _validation_fields(detail)
        response.data = error_body("validation_error", _first_message(fields), fields)
        return response

    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    message = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
    if isinstance(exc.detail, dict) and isinstance(exc.detail.get("code"), str):
        # simplejwt's shape, {"detail", "code"}: keep its code (user_inactive: a disabled account).
        code, message = str(exc.detail["code"]), str(exc.detail.get("detail", message))
    extra = {}
    if isinstance(exc, drf.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait + 0.999)
    response.data = error_body(code, str(message), **extra)
    return response


def not_found_view(request, exception=None):
    return JsonResponse(error_body("not_found", "No such route."), status=404)


@csrf_exempt
def unknown_route(request):
    """Every path no route matches, any method, DEBUG or not (Django's DEBUG 404
    is an HTML page listing every URL pattern). The admin keeps its own 404s."""
    message = "No such route."
    if request.path.endswith("/") and len(request.path) > 1:
        try:
            resolve(request.path.rstrip("/"))
            message = f"No such route. Did you mean {request.path.rstrip('/')} (no trailing slash)?"
        except Http404:
            pass
    return JsonResponse(error_body("not_found", message), status=404)


def server_error_view(request):
    # Called while Django handles the exception: outside DRF (middleware, the admin), an
    # unreachable database is a 503 too.
    outage = database_outage(sys.exc_info()[1])
    if outage is not None:
        return database_unavailable(JsonResponse, outage, request)
    return JsonResponse(error_body("server_error", "Internal server error."), status=500)


def bad_request_view(request, exception=None):
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def permission_denied_view(request, exception=None):
    return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
