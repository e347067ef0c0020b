"""The project's settings with a fast password hasher: tests make many users, and
Argon2 (the project's first hasher) is slow on purpose. pytest.ini names this module;
the server processes the tests start (tests/servers.py) use it too, so a user made
in the test process logs in there."""

import os
import re

# A pytest-xdist worker (gw0, gw1, ...) has a Redis database of its own, numbered after
# it, as it has a test database of its own (tests/conftest.py): the cache and its keys
# are per database. Set in the environment, so the processes it starts use it too
# (tests/servers.py hands them the worker's REDIS_URL, without the worker's name).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    for _name in ("REDIS_URL", "REALTIME_REDIS_URL"):
        if os.environ.get(_name):
            os.environ[_name] = re.sub(r"^(rediss?://[^/?]+)(/\d*)?", rf"\1/{int(_worker[2:])}", os.environ[_name])

from eventbooking.settings import *  # noqa: E402, F403

# The project's own (Argon2 first), for the tests that check it (fixture project_hashers).
PROJECT_PASSWORD_HASHERS = PASSWORD_HASHERS  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test hooks production code lets in (shared/testhooks.py): fault injection at its
# checkpoints (BOOKING_FAULT_INJECTION), and in server processes a log of each HTTP request's
# sync_to_async/async_to_sync crossings and threads (tests/hooks/threadhops.py, THREAD_HOPS_LOG),
# for tests/foundation/test_thread_hops.py.
TEST_HOOKS = "tests.hooks"
THREAD_HOPS_LOG = True
