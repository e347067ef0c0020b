"""The project's settings with a fast password hasher: tests make many users, and
Argon2 (the project's first hasher) is slow on purpose. pytest.ini names this module;
the server processes the tests start (tests/servers.py) use it too, so a user made
in the test process logs in there."""

from eventbooking.settings import *  # noqa: F403

# The project's own (Argon2 first), for the tests that check it (fixture project_hashers).
PROJECT_PASSWORD_HASHERS = PASSWORD_HASHERS  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Server processes log each HTTP request's sync_to_async/async_to_sync crossings and
# threads (eventbooking/threadhops.py), for tests/foundation/test_thread_hops.py.
THREAD_HOPS_LOG = True
