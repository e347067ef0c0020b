"""Request id, structured request log, body size limit, API security headers."""

import json
import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse

from shared.errors import error_body

logger = logging.getLogger("eventbooking.requests")
CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives each request an id (the client's `X-Request-ID` when well formed),
    echoes it in the response, and logs one JSON line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        user = getattr(request, "user", None)
        logger.info(
            json.dumps(
                {
                    "event": "request",
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": str(user.pk) if user is not None and user.is_authenticated else None,
                }
            )
        )
        return response


class BodySizeLimitMiddleware:
    """413 for a declared body over MAX_REQUEST_BODY_BYTES, before anything reads it.
    411 for a body sent without Content-Length (Transfer-Encoding: chunked): Django
    reads Content-Length bytes of a body, so it would read none of it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            message = "Send the body with a Content-Length header (chunked transfer encoding is not accepted)."
            return JsonResponse(error_body("length_required", message), status=411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(error_body("bad_request", "Malformed Content-Length."), status=400)
        if length > settings.MAX_REQUEST_BODY_BYTES:
            message = f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes."
            return JsonResponse(error_body("payload_too_large", message), status=413)
        return self.get_response(request)


class ApiSecurityHeadersMiddleware:
    """Headers that suit a JSON API. The admin and the docs page render HTML and
    keep Django's defaults (SECURE_REFERRER_POLICY, for their forms' CSRF Origin
    check); everything else may not be framed or run scripts, and sends no referrer."""

    HTML_PREFIXES = ("/admin/", "/docs/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Cache-Control", "no-store")
        response.setdefault("Cross-Origin-Resource-Policy", "same-site")
        if not request.path.startswith(self.HTML_PREFIXES):
            response.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
            response.setdefault("Referrer-Policy", "no-referrer")
        return response
