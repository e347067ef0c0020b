"""Fixtures: real database (the local MongoDB-compatible server or MONGODB_URI),
real cache, real daphne processes. Plain helpers are in tests/helpers.py; see
docs/testing.md."""

import os

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from accounts.models import Role
from shared.ids import blocks_forget
from shared.redisguard import memory_backed_cache
from shared.mongo import collection
from tests.docs.conformance import SchemaCheckedClient
from tests.helpers import event_body, new_user, token_for
from tests.servers import DaphneServer, LocalMongo

ONE_ID_AT_A_TIME = {"BOOKING_ID_BLOCK": "1"}
APP_COLLECTIONS = [
    "users", "events", "bookings", "idempotency_keys", "counters", "checkins", "door_staff",
    "notices", "webhooks", "webhook_deliveries", "waitlist_entries", "holds",
]


# A test that starts processes of its own (daphne, a database on files, a browser, a
# command) is marked `processes`, which the everyday loop leaves out (make test-fast): one
# using these fixtures (directly or through another fixture), or in a module that starts
# processes itself (it imports one of these names).
PROCESS_FIXTURES = {"server", "start_server", "own_database", "chromium"}
PROCESS_STARTERS = {"DaphneServer", "LocalMongo", "RedisProcess", "ReconcilerProcess", "process_env", "subprocess"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = vars(getattr(item, "module", None) or object)
        if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())) or PROCESS_STARTERS & set(module):
            item.add_marker(pytest.mark.processes)
    local = os.environ.get("EVENTBOOKING_LOCAL_MONGO")
    if not local:
        return
    skip = pytest.mark.skip(reason=f"needs a real MongoDB: MONGODB_URI is unset, tests use the local {local} server")
    for item in items:
        if "real_mongodb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_modify_db_settings, django_db_blocker):
    """Create and migrate the test database (`test_<MONGODB_NAME>`, `_gw0`... per
    pytest-xdist worker) once per run.

    pytest-django only sets up the databases named by `django_db` marks; these
    tests use `clean_state` instead, so the default database is named here."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(autouse=True)
def clean_state(django_db_setup, django_db_blocker):
    """Every test starts from empty collections and an empty cache."""
    with django_db_blocker.unblock():
        yield
        for name in APP_COLLECTIONS:
            collection(name).delete_many({})
        cache.clear()
        memory_backed_cache.local.clear()
        blocks_forget()


@pytest.fixture
def api():
    # Every response is checked against the OpenAPI schema (tests/docs/conformance.py).
    return SchemaCheckedClient()


@pytest.fixture
def project_hashers(settings):
    """The project's own password hashers (Argon2 first) instead of the tests' fast one."""
    settings.PASSWORD_HASHERS = django_settings.PROJECT_PASSWORD_HASHERS


@pytest.fixture
def inject(settings):
    """inject(spec): make the booking steps of this (test) process fail or crash at a
    fault point (tests/hooks/faults.py), e.g. "after_reserve" or "crash:after_insert"."""

    def set_fault(spec):
        settings.TESTING = True
        settings.BOOKING_FAULT_INJECTION = spec

    return set_fault


@pytest.fixture
def make_user():
    return new_user


@pytest.fixture
def client_for():
    def make(user):
        client = SchemaCheckedClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        client.user = user
        return client

    return make


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def other_organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def customer(make_user):
    return make_user(Role.CUSTOMER)


@pytest.fixture
def organizer_client(client_for, organizer):
    return client_for(organizer)


@pytest.fixture
def other_organizer_client(client_for, other_organizer):
    return client_for(other_organizer)


@pytest.fixture
def customer_client(client_for, customer):
    return client_for(customer)


@pytest.fixture(scope="session")
def server(django_db_setup, django_db_blocker):
    """One daphne process for the session, on the test database and Redis. It takes
    booking numbers one at a time: a block it held would outlive the counter resets
    between tests (shared/ids.py)."""
    with django_db_blocker.unblock():
        daphne = DaphneServer(extra_env=ONE_ID_AT_A_TIME).start()
    yield daphne
    daphne.stop()


@pytest.fixture
def start_server(django_db_setup):
    """Start extra daphne processes (killed or stopped at the end of the test)."""
    started = []

    def start(**kwargs):
        daphne = DaphneServer(**kwargs).start()
        started.append(daphne)
        return daphne

    yield start
    for daphne in started:
        daphne.stop()


@pytest.fixture
def create_event(organizer_client):
    """Create an event through the API (as `client`, default the organizer); publish it if asked.
    Returns the last answer's JSON: the draft, or the published event."""

    def create(client=None, publish=False, **overrides):
        client = client or organizer_client
        response = client.post("/events", event_body(**overrides), format="json")
        assert response.status_code == 201, response.content
        event = response.json()
        if publish:
            response = client.post(f"/events/{event['id']}/publish")
            assert response.status_code == 200, response.content
            event = response.json()
        return event

    return create


@pytest.fixture
def draft_event(create_event):
    return create_event()


@pytest.fixture
def published_event(create_event):
    return create_event(publish=True)


@pytest.fixture
def own_database(django_db_setup, django_db_blocker):
    """A local database of the test's own (H2 files, as `make run` runs it) to kill and
    restart (`.kill()`, `.start()`): the test process and the servers it starts from now on
    (start_server, ReconcilerProcess) use it, migrated; the shared test database after."""
    from django.core.management import call_command
    from django.db import connection

    mongo = LocalMongo("h2").start()
    shared = connection.settings_dict["HOST"]
    with django_db_blocker.unblock():
        connection.close_pool()
        connection.settings_dict["HOST"] = mongo.uri
        try:
            call_command("migrate", verbosity=0)
            blocks_forget()
            yield mongo
        finally:
            mongo.stop()
            connection.close_pool()
            connection.settings_dict["HOST"] = shared
