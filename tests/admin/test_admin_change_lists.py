"""The admin as staff use it: logging in through the form, the change lists with
search, filters, counts and ordering, the cancel action as staff submit it, editing
a user. They run on the local MongoDB-compatible server (its patches in
devtools/mongo-server/patches give it the pipeline updates, $type, $dateTrunc, ...
that django-mongodb-backend sends) and on MongoDB itself:
    MONGODB_URI=mongodb://127.0.0.1:27017 make test PYTEST_ARGS="tests/admin"
"""

import re

import pytest

from accounts.models import Role, User
from shared.mongo import collection
from tests.helpers import PASSWORD, STAFF_EMAIL, assert_invariant, book


def listed(response, model_path):
    """Primary keys of the rows of a change list, in order."""
    assert response.status_code == 200, response.content[:2000]
    html = response.content.decode()
    rows = html.split('id="result_list"', 1)[1]
    return list(dict.fromkeys(re.findall(rf'href="/admin/{model_path}/([^/"?]+)/change/', rows)))


def test_staff_log_in_through_the_form_and_see_users_events_and_bookings(logged_in_browser):
    index = logged_in_browser.get("/admin/")
    assert index.status_code == 200
    for path in ("/admin/accounts/user/", "/admin/events/event/", "/admin/bookings/booking/"):
        assert path.encode() in index.content
    assert User.objects.get(email=STAFF_EMAIL).last_login is not None


def test_users_list_search_and_filters(logged_in_browser, make_user):
    olga = make_user(Role.ORGANIZER, name="Olga Organizer")
    carl = make_user(Role.CUSTOMER, name="Carl Customer")
    staff = User.objects.get(email=STAFF_EMAIL)
    assert listed(logged_in_browser.get("/admin/accounts/user/?q=olga"), "accounts/user") == [str(olga.pk)]
    assert listed(logged_in_browser.get(f"/admin/accounts/user/?q={carl.email}"), "accounts/user") == [str(carl.pk)]
    assert listed(logged_in_browser.get("/admin/accounts/user/?role__exact=CUSTOMER"), "accounts/user") == [str(carl.pk)]
    assert listed(logged_in_browser.get("/admin/accounts/user/?is_staff__exact=1"), "accounts/user") == [str(staff.pk)]


@pytest.fixture
def three_events(create_event, organizer_client, other_organizer_client, customer_client):
    """Lyon jazz (published, 3 sold at 12.50), Paris rock (draft), Lyon folk by the other organizer (published)."""
    jazz = create_event(publish=True, capacity=10, price="12.50", title="Jazz Night")["id"]
    rock = create_event(publish=False, capacity=10, price="25.00", title="Rock Show")["id"]
    organizer_client.patch(f"/events/{rock}", {"city": "Paris"}, format="json")
    folk = create_event(publish=True, capacity=10, price="25.00", client=other_organizer_client, title="Folk Evening")["id"]
    book(customer_client, jazz, 3)
    return jazz, rock, folk


def test_events_list_search_filters_and_counters(logged_in_browser, three_events, organizer, other_organizer):
    jazz, rock, folk = three_events
    def page(query):
        return listed(logged_in_browser.get(f"/admin/events/event/{query}"), "events/event")

    assert page("") == [folk, rock, jazz]  # newest first
    assert page("?q=jazz") == [jazz]
    assert page(f"?q={rock}") == [rock]
    assert page("?q=paris") == [rock]
    assert page("?status__exact=DRAFT") == [rock]
    assert page("?city=Lyon") == [folk, jazz]
    assert page(f"?organizer__id__exact={other_organizer.pk}") == [folk]
    assert page(f"?organizer__id__exact={organizer.pk}&status__exact=PUBLISHED") == [jazz]

    row = logged_in_browser.get("/admin/events/event/?q=jazz").content.decode()
    for cell in ('field-price">12.50<', 'field-capacity">10<', 'field-seats_available">7<', 'field-tickets_sold">3<',
                 'field-revenue">37.50<'):
        assert cell in row
    # The organizer filter offers organizers only.
    filters = logged_in_browser.get("/admin/events/event/").content.decode()
    assert organizer.email in filters and other_organizer.email in filters
    assert "customer-" not in filters.split('id="changelist-filter"', 1)[1]


def test_bookings_list_search_and_filters(logged_in_browser, create_event, other_organizer_client, client_for, make_user):
    lyon = create_event(publish=True, capacity=10, price="12.50")["id"]
    other = create_event(publish=True, capacity=10, price="25.00", client=other_organizer_client)["id"]
    ann, bob = make_user(name="Ann"), make_user(name="Bob")
    first = book(client_for(ann), lyon, 2).json()["id"]
    second = book(client_for(bob), other, 1).json()["id"]
    client_for(bob).post(f"/bookings/{second}/cancel")

    def page(query):
        return listed(logged_in_browser.get(f"/admin/bookings/booking/{query}"), "bookings/booking")

    assert page("") == [second, first]
    assert page(f"?q={first}") == [first]
    assert page(f"?q={bob.email}") == [second]
    assert page("?status__exact=CANCELLED") == [second]
    assert page(f"?q={lyon}") == [first]
    row = logged_in_browser.get(f"/admin/bookings/booking/?q={first}").content.decode()
    assert 'field-unit_price">12.50<' in row and 'field-amount">25.00<' in row


def test_the_cancel_action_from_the_change_list(logged_in_browser, three_events, customer_client, api):
    jazz, rock, folk = three_events
    assert api.get(f"/events/{jazz}").json()["seats_available"] == 7  # cached now

    def submit(ids, **fields):
        form = {"action": "cancel_events", "_selected_action": ids, "index": 0, **fields}
        return logged_in_browser.post("/admin/events/event/", form, follow=True)

    asked = submit([jazz, rock])
    assert asked.status_code == 200 and b"Yes, cancel them" in asked.content
    assert collection("events").find_one({"_id": jazz})["status"] == "PUBLISHED"
    done = submit([jazz, rock], confirm="yes", reason="Venue flooded.")
    assert f"Cancelled 2 events: {jazz}, {rock}." in done.content.decode()
    again = submit([jazz], confirm="yes")
    assert f"Skipped 1 event: {jazz}" in again.content.decode()

    shown = api.get(f"/events/{jazz}").json()
    assert (shown["status"], shown["seats_available"], shown["cancel_reason"]) == ("CANCELLED", 10, "Venue flooded.")
    assert [row["status"] for row in customer_client.get("/bookings/me").json()["results"]] == ["CANCELLED"]
    assert_invariant(jazz)
    assert collection("events").find_one({"_id": folk})["status"] == "PUBLISHED"
    assert listed(logged_in_browser.get("/admin/events/event/?status__exact=CANCELLED"), "events/event") == [rock, jazz]


def test_staff_edit_a_user_and_a_deactivated_user_cannot_log_in(logged_in_browser, customer, api):
    response = logged_in_browser.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        {"email": customer.email, "name": "Renamed", "role": "CUSTOMER"},  # is_active unticked
    )
    assert response.status_code == 302, response.content[:2000]
    customer.refresh_from_db()
    assert (customer.name, customer.is_active) == ("Renamed", False)
    login = api.post("/login", {"email": customer.email, "password": PASSWORD}, format="json")
    assert login.status_code == 401


def test_staff_delete_a_user_with_the_delete_selected_action(logged_in_browser, make_user):
    leaving, staying = make_user(name="Leaving"), make_user(name="Staying")
    form = {"action": "delete_selected", "_selected_action": [str(leaving.pk)], "index": 0}
    asked = logged_in_browser.post("/admin/accounts/user/", form)
    assert asked.status_code == 200 and b"Are you sure" in asked.content
    done = logged_in_browser.post("/admin/accounts/user/", {**form, "post": "yes"}, follow=True)
    assert done.status_code == 200 and b"Successfully deleted 1" in done.content
    assert not User.objects.filter(pk=leaving.pk).exists() and User.objects.filter(pk=staying.pk).exists()


def test_staff_delete_a_user_from_its_page(logged_in_browser, make_user):
    user = make_user()
    response = logged_in_browser.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content[:2000]
    assert not User.objects.filter(pk=user.pk).exists()
