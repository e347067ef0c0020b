"""The one door tests have into production code, closed in production.

Production code calls `checkpoint(name)` at the named points of its protocols (a booking,
a cancellation, a hold, an offer: the points are listed in docs/testing.md) and wraps the
ASGI application with `wrap_application`. Both do nothing unless settings.TEST_HOOKS names
a module: tests/settings.py names tests/hooks/, which fails or kills the process at a
checkpoint (BOOKING_FAULT_INJECTION) and counts each request's thread hops. The project's
settings leave TEST_HOOKS empty and do not read it from the environment, so no deployed
process loads test code.
"""

from importlib import import_module

from django.conf import settings

_hooks = None


def _loaded():
    global _hooks
    if _hooks is None:
        _hooks = import_module(settings.TEST_HOOKS) if settings.TEST_HOOKS else False
    return _hooks


def checkpoint(name):
    """A named point of a protocol: nothing happens here, unless a test hook makes it fail."""
    hooks = _loaded()
    if hooks:
        hooks.checkpoint(name)


def wrap_application(application):
    """The ASGI application, as the test hooks wrap it (unchanged without them)."""
    hooks = _loaded()
    return hooks.wrap_application(application) if hooks else application
