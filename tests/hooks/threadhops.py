"""Instrumentation for tests (settings.THREAD_HOPS_LOG, on in tests/settings.py): one
log line per HTTP request with the number of thread hops it made (every
asgiref SyncToAsync and AsyncToSync call: each moves work between the event loop
and a thread) and the OS threads that ran its sync code, so a test can hold the
request path to a few hops (tests/foundation/test_thread_hops.py).

    {"event": "thread_hops", "request_id": ..., "hops": 1, "threads": [12345], "pid": ...}

It wraps asgiref's two classes for the whole process; nothing else changes.
"""

import contextvars
import json
import logging
import os
import threading

from asgiref.sync import AsyncToSync, SyncToAsync

log = logging.getLogger("tests.threadhops")
_tally = contextvars.ContextVar("thread_hops")
_installed = False


class Tally:
    def __init__(self):
        self.hops = 0
        self.threads = set()


def _count():
    tally = _tally.get(None)
    if tally is not None:
        tally.hops += 1
    return tally


def install():
    global _installed
    if _installed:
        return
    _installed = True
    sync_to_async_call = SyncToAsync.__call__
    async_to_sync_call = AsyncToSync.__call__
    thread_handler = SyncToAsync.thread_handler

    async def counted_sync_to_async(self, *args, **kwargs):
        _count()
        return await sync_to_async_call(self, *args, **kwargs)

    def counted_async_to_sync(self, *args, **kwargs):
        tally = _count()
        if tally is not None:
            tally.threads.add(threading.get_native_id())
        return async_to_sync_call(self, *args, **kwargs)

    def noted_thread_handler(self, loop, exc_info, task_context, func, child):
        def noted_child():
            # Inside the request's context (func enters it), on the thread that runs it.
            tally = _tally.get(None)
            if tally is not None:
                tally.threads.add(threading.get_native_id())
            return child()

        return thread_handler(self, loop, exc_info, task_context, func, noted_child)

    SyncToAsync.__call__ = counted_sync_to_async
    AsyncToSync.__call__ = counted_async_to_sync
    SyncToAsync.thread_handler = noted_thread_handler


def counting(application):
    """`application`, logging each HTTP request's hops once it has finished."""
    install()

    async def counted(scope, receive, send):
        if scope["type"] != "http":
            return await application(scope, receive, send)
        tally = Tally()
        token = _tally.set(tally)
        seen = {}

        async def watched_send(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = {name.lower(): value for name, value in message.get("headers", ())}
                seen["request_id"] = headers.get(b"x-request-id", b"").decode()
            await send(message)

        try:
            return await application(scope, receive, watched_send)
        finally:
            _tally.reset(token)
            line = {
                "event": "thread_hops",
                "request_id": seen.get("request_id"),
                "method": scope.get("method"),
                "path": scope.get("path"),
                "status": seen.get("status"),
                "hops": tally.hops,
                "threads": sorted(tally.threads),
                "pid": os.getpid(),
            }
            log.info(json.dumps(line))

    return counted
