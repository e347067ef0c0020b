"""Staff users and browsers logged in to /admin/: through the login form as staff
do (`logged_in_browser`), or, for tests about something else, from the state a
login leaves behind (`tests.helpers.browser_for`)."""

import pytest
from django.test import Client

from accounts.models import User
from tests.helpers import PASSWORD, STAFF_EMAIL, browser_for


@pytest.fixture
def staff():
    return User.objects.create_superuser(email=STAFF_EMAIL, password=PASSWORD, name="Staff")


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
