"""Logging filters (configured in settings.LOGGING, so nothing here may import DRF)."""

import logging


class RequestErrorFilter(logging.Filter):
    """On django.request, which logs errors outside the API views (the admin, a
    middleware): the record names the request id, and a request logs one error,
    not one more for each middleware the failure passes through again."""

    def filter(self, record):
        request = getattr(record, "request", None)
        if request is None:
            return True
        if record.levelno >= logging.ERROR:
            if getattr(request, "_error_logged", False):
                return False
            request._error_logged = True
        request_id = getattr(request, "request_id", None)
        if request_id:  # [A-Za-z0-9._-] only (RequestContextMiddleware): no % to escape
            record.msg = f"{record.msg} request_id={request_id}"
        return True
