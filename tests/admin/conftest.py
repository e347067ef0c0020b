"""Staff users and browsers logged in to /admin/: through the login form as staff
do (`logged_in_browser`), or, for tests about something else, from the state a
login leaves behind: a session row that names the user (`browser_for`)."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.test import Client

from accounts.models import Role, User
from tests.bookings.conftest import make_event  # noqa: F401  (events are made through the API)
from tests.conftest import PASSWORD

STAFF_EMAIL = "staff@example.com"


@pytest.fixture
def staff():
    return User.objects.create_superuser(email=STAFF_EMAIL, password=PASSWORD, name="Staff")


def browser_for(user):
    """A Django test client whose session is logged in as `user` (see the module docstring)."""
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    browser = Client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return browser


@pytest.fixture
def staff_browser(staff):
    return browser_for(staff)


@pytest.fixture
def logged_in_browser(staff):
    """Logged in through the admin's login form."""
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": STAFF_EMAIL, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/admin/", response.content
    return browser


def staff_without_permissions():
    """is_staff, not a superuser, no model permissions."""
    return User.objects.create_user(email="clerk@example.com", password=PASSWORD, name="Clerk", role=Role.ORGANIZER, is_staff=True)
