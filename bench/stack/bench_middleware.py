"""This project's three middleware made sync-and-async capable, for the stock
Django ASGI handler (bench_asgi.stock): Django's own handler loads the chain in
async mode, and a sync-only middleware there costs two thread hops. Each class
is the project's, with Django's `sync_capable`/`async_capable` flags and an async
__call__ doing the same work (bench_settings swaps them in with
BENCH_ASYNC_MIDDLEWARE=1). In sync mode (WSGI, PooledASGIHandler) they are the
project's classes unchanged."""

import json
import time
import uuid

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from server import middleware as ours
from shared.errors import error_body


class SyncAndAsync:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        super().__init__(get_response)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.acall(request)
        return super().__call__(request)


class RequestContextMiddleware(SyncAndAsync, ours.RequestContextMiddleware):
    async def acall(self, request):
        started = time.perf_counter()
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if ours.CLIENT_REQUEST_ID.match(offered) else uuid.uuid4().hex
        response = await self.get_response(request)
        response["X-Request-ID"] = request.request_id
        user = getattr(request, "user", None)
        if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
            user = await request.auser()  # not looked at by the view: the session's user, off the loop
        ours.logger.info(
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


class BodySizeLimitMiddleware(SyncAndAsync, ours.BodySizeLimitMiddleware):
    async def acall(self, request):
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
        return await self.get_response(request)


class ApiSecurityHeadersMiddleware(SyncAndAsync, ours.ApiSecurityHeadersMiddleware):
    async def acall(self, request):
        response = await self.get_response(request)
        response.setdefault("Cache-Control", "no-store")
        response.setdefault("Cross-Origin-Resource-Policy", "same-site")
        if not request.path.startswith(self.HTML_PREFIXES):
            response.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
            response.setdefault("Referrer-Policy", "no-referrer")
        return response
