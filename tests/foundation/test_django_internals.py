"""server/handler.py (PooledASGIHandler) subclasses Django's ASGIHandler and
copies or calls parts of it that are not public API; server/threads.py hands
asgiref an executor through ThreadSensitiveContext. A Django or asgiref upgrade that
changes any of them fails here, by name, before it changes a request silently.

When this fails: read the new source of each name listed, re-check the part of
server/handler.py (or threads.py) named beside it against it, run
tests/foundation/test_thread_hops.py and tests/foundation/test_static.py, then record
the new fingerprints printed in the failure (RECORDED below)."""

import hashlib
import inspect
import textwrap

import asgiref
import django
from asgiref.sync import SyncToAsync, ThreadSensitiveContext
from django.core.handlers import asgi, base

# name -> (what of ours depends on it, sha256 of its source, first 16 hex digits)
RECORDED = {
    "ASGIHandler.__init__": ("not called: PooledASGIHandler.__init__ loads the middleware in sync mode instead", "4d30812e5ed7767d"),
    "ASGIHandler.__call__": ("replaced by PooledASGIHandler.__call__ (scope check, body, one ThreadSensitiveContext)", "fd60e60793c4542e"),
    "ASGIHandler.handle": ("replaced by PooledASGIHandler.__call__ and respond (request_started, create_request, "
                           "send_response, disconnect while streaming, close)", "ab2236e287c805bf"),
    "ASGIHandler.run_get_response": ("copied into PooledASGIHandler.respond (_handler_class, FileResponse.block_size)", "3e3f9e6ae0246458"),
    "ASGIHandler.read_body": ("called by PooledASGIHandler.__call__", "0a30b6b3ac2775ba"),
    "ASGIHandler.create_request": ("called by PooledASGIHandler.respond (returns (request, None) or (None, response))", "df21dc6bab7c4018"),
    "ASGIHandler.send_response": ("called by PooledASGIHandler.__call__ and send_streaming", "a018b8604a20e744"),
    "ASGIHandler.listen_for_disconnect": ("called by PooledASGIHandler.send_streaming", "f5cd1839116b8dde"),
    "ASGIHandler.chunk_size": ("PooledASGIHandler.respond sets FileResponse.block_size to it", "0f255ec16482c343"),
    "get_script_prefix": ("called by PooledASGIHandler.respond", "bd6e761a557ee4c5"),
    "BaseHandler.load_middleware": ("called with is_async=False by PooledASGIHandler.__init__", "892801349dd63900"),
    "BaseHandler.get_response": ("called on the request thread by PooledASGIHandler.respond", "c4afeb39a22c0e53"),
    "ThreadSensitiveContext": ("server.handler and threads: each request's Lane is passed as executor=", "da8ec00f861b8bdf"),
    "SyncToAsync.__call__": ("server.threads: thread-sensitive calls go to the context's executor (the Lane)", "e20c1d8b2f2dca85"),
}

OBJECTS = {
    "ASGIHandler.__init__": asgi.ASGIHandler.__init__,
    "ASGIHandler.__call__": asgi.ASGIHandler.__call__,
    "ASGIHandler.handle": asgi.ASGIHandler.handle,
    "ASGIHandler.run_get_response": asgi.ASGIHandler.run_get_response,
    "ASGIHandler.read_body": asgi.ASGIHandler.read_body,
    "ASGIHandler.create_request": asgi.ASGIHandler.create_request,
    "ASGIHandler.send_response": asgi.ASGIHandler.send_response,
    "ASGIHandler.listen_for_disconnect": asgi.ASGIHandler.listen_for_disconnect,
    "ASGIHandler.chunk_size": asgi.ASGIHandler.chunk_size,
    "get_script_prefix": asgi.get_script_prefix,
    "BaseHandler.load_middleware": base.BaseHandler.load_middleware,
    "BaseHandler.get_response": base.BaseHandler.get_response,
    "ThreadSensitiveContext": ThreadSensitiveContext,
    "SyncToAsync.__call__": SyncToAsync.__call__,
}


def fingerprint(obj):
    text = textwrap.dedent(inspect.getsource(obj)) if callable(obj) else repr(obj)  # chunk_size: its value
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_the_django_and_asgiref_internals_the_pooled_handler_relies_on_are_unchanged():
    assert set(OBJECTS) == set(RECORDED)
    changed = {name: fingerprint(obj) for name, obj in OBJECTS.items() if fingerprint(obj) != RECORDED[name][1]}
    assert not changed, (
        f"Django {django.get_version()} / asgiref {asgiref.__version__} changed what server/handler.py "
        "and server/threads.py rely on. Re-check each against its new source:\n"
        + "\n".join(f"  {name}: {RECORDED[name][0]}" for name in changed)
        + "\nthen run tests/foundation/test_thread_hops.py and test_static.py, and record the new fingerprints:\n"
        + "\n".join(f'  "{name}": "{value}"' for name, value in changed.items())
    )
