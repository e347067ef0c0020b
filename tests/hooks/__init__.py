"""The test hooks production code lets in (shared/testhooks.py), loaded in every
process that runs with tests/settings.py (TEST_HOOKS = "tests.hooks"): the test process
and the servers it starts."""

from django.conf import settings

from tests.hooks.faults import fault as checkpoint  # noqa: F401 - the checkpoints' hook
from tests.hooks.threadhops import counting


def wrap_application(application):
    """Log each HTTP request's thread hops (THREAD_HOPS_LOG, on in tests/settings.py)."""
    return counting(application) if settings.THREAD_HOPS_LOG else application
