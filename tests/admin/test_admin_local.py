"""The admin beyond its change lists: the login form's refusals, view-only event and
booking pages, adding a user, and the cancel action through the admin's own action
dispatch (`response_action`). The change lists themselves: test_admin_change_lists.py."""

import re

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from accounts.models import Role, User
from bookings.services import booking_cancel
from shared.mongo import collection
from events.models import Event
from events.services import event_cancel
from shared.errors import Forbidden
from tests.helpers import PASSWORD, STAFF_EMAIL, assert_invariant, book, browser_for, event_body, staff_without_permissions

REFUSED = b"Please enter the correct email and password for a staff account."


def text(html):
    # Booleans are icons: keep their alt text.
    return re.sub(r"<[^>]+>", "", re.sub(r'<img[^>]*alt="([^"]*)"[^>]*>', r"\1", html)).strip()


def shown(response):
    """{field name: text} of a view-only admin page."""
    rows = re.findall(r'class="form-row[^"]*field-(\w+).*?<div class="readonly">(.*?)</div>', response.content.decode(), re.S)
    return {name: text(value) for name, value in rows}


def run_action(user, model, action, ids, **fields):
    """Submit the change list's action form: admin's response_action picks the action
    the user may run (by permission), filters the queryset by the ticked ids and runs it."""
    request = RequestFactory().post(f"/admin/{model._meta.app_label}/{model._meta.model_name}/", {
        "action": action, "_selected_action": ids, "index": 0, **fields,
    })
    request.user = user
    request._messages = CookieStorage(request)
    response = admin.site._registry[model].response_action(request, model.objects.all())
    if hasattr(response, "render"):
        response.render()
    return response, [str(message) for message in request._messages]


def test_the_login_page_asks_for_email_and_password():
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content and b'name="password"' in response.content
    assert b"Email" in response.content


@pytest.mark.parametrize("who", ["customer", "organizer", "wrong password"])
def test_the_login_form_refuses_non_staff_and_wrong_passwords(who, customer, organizer, staff):
    email, password = {
        "customer": (customer.email, PASSWORD),
        "organizer": (organizer.email, PASSWORD),
        "wrong password": (STAFF_EMAIL, "Not-The-Password-1"),
    }[who]
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": email, "password": password})
    assert response.status_code == 200
    assert REFUSED in response.content
    assert browser.get("/admin/").url == "/admin/login/?next=/admin/"


def test_without_a_staff_session_every_admin_page_sends_to_the_login_page(customer, create_event):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    for browser in (Client(), browser_for(customer)):
        for path in ("/admin/", "/admin/events/event/", f"/admin/events/event/{event_id}/change/", "/admin/accounts/user/add/"):
            response = browser.get(path)
            assert response.status_code == 302 and response.url == f"/admin/login/?next={path}", path


def test_staff_see_an_events_counters_and_money_as_decimals(staff_browser, create_event, customer_client, organizer):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    book(customer_client, event_id, 3)
    response = staff_browser.get(f"/admin/events/event/{event_id}/change/")
    assert response.status_code == 200
    fields = shown(response)
    assert {name: fields[name] for name in ["id", "title", "status", "organizer", "price", "capacity", "seats_available", "tickets_sold", "revenue", "pending_bookings"]} == {
        "id": event_id, "title": "Jazz Night", "status": "Published", "organizer": organizer.email,
        "price": "12.50", "capacity": "10", "seats_available": "7", "tickets_sold": "3", "revenue": "37.50", "pending_bookings": "0",
    }


def test_staff_see_each_ticket_types_counters(staff_browser, organizer_client, customer_client):
    types = [{"name": "Standard", "price": "15.00", "capacity": 30}, {"name": "VIP", "price": "60.00", "capacity": 5}]
    event = organizer_client.post("/events", event_body(price=None, capacity=None, types=types), format="json").json()
    organizer_client.post(f"/events/{event['id']}/publish")
    vip = event["types"][1]["id"]
    book(customer_client, event["id"], 2, ticket_type_id=vip)
    hold = customer_client.post("/holds", {"eventId": event["id"], "qty": 1, "ticketTypeId": vip}, format="json").json()
    page = staff_browser.get(f"/admin/events/event/{event['id']}/change/").content.decode()
    rows = [[text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in re.findall(r'<tr class="ticket-type">(.*?)</tr>', page, re.S)]
    assert [row[1:8] for row in rows] == [["Standard", "15.00", "30", "30", "0", "0", "0.00"], ["VIP", "60.00", "5", "2", "1", "2", "120.00"]]
    [held] = [[text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in re.findall(r'<tr class="seat-hold">(.*?)</tr>', page, re.S)]
    customer = customer_client.user
    assert held[:6] == [hold["id"], customer.name, customer.email, "VIP", "1", "60.00"]
    fields = shown(staff_browser.get(f"/admin/events/event/{event['id']}/change/"))
    assert fields["capacity"] == "35" and fields["seats_held"] == "1" and fields["seats_available"] == "32"


def test_events_and_bookings_are_read_only_in_the_admin(staff_browser, create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    page = staff_browser.get(f"/admin/events/event/{event_id}/change/")
    assert b'name="_save"' not in page.content and b"Close" in page.content
    response = staff_browser.post(f"/admin/events/event/{event_id}/change/", {"title": "Hacked", "seats_available": 99})
    assert response.status_code == 403
    assert staff_browser.get("/admin/events/event/add/").status_code == 403
    assert staff_browser.post(f"/admin/bookings/booking/{booking_id}/delete/", {"post": "yes"}).status_code == 403
    assert_invariant(event_id)
    assert collection("events").find_one({"_id": event_id})["title"] == "Jazz Night"
    assert collection("bookings").count_documents({"_id": booking_id}) == 1


def test_staff_see_a_bookings_amounts_and_status(staff_browser, create_event, customer_client, customer):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    booking_id = book(customer_client, event_id, 3).json()["id"]
    response = staff_browser.get(f"/admin/bookings/booking/{booking_id}/change/")
    assert response.status_code == 200
    fields = shown(response)
    assert {name: fields[name] for name in ["id", "event", "customer", "qty", "unit_price", "amount", "status", "cancelled_by_event"]} == {
        "id": booking_id, "event": f"{event_id} Jazz Night", "customer": customer.email, "qty": "3",
        "unit_price": "12.50", "amount": "37.50", "status": "Confirmed", "cancelled_by_event": "False",
    }


def test_the_user_page_shows_a_password_summary_never_the_hash(project_hashers, staff_browser, customer):
    response = staff_browser.get(f"/admin/accounts/user/{customer.pk}/change/")
    assert response.status_code == 200
    assert customer.email in response.content.decode()
    assert customer.password.split("$")[-1] not in response.content.decode()
    assert b"argon2" in response.content


def test_staff_add_a_user_who_can_then_log_in_to_the_api(staff_browser, api):
    response = staff_browser.post("/admin/accounts/user/add/", {
        "email": "New.Organizer@Example.com", "name": "Nora", "role": "ORGANIZER",
        "usable_password": "true", "password1": "Other-Pass-2031", "password2": "Other-Pass-2031",
    })
    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="new.organizer@example.com")
    assert (user.name, user.role, user.is_staff) == ("Nora", Role.ORGANIZER, False)
    login = api.post("/login", {"email": "new.organizer@example.com", "password": "Other-Pass-2031"}, format="json")
    assert login.status_code == 200


def test_adding_a_user_with_a_taken_email_in_other_case_is_refused(staff_browser, customer):
    response = staff_browser.post("/admin/accounts/user/add/", {
        "email": customer.email.upper(), "name": "Twin", "role": "CUSTOMER",
        "usable_password": "true", "password1": "Other-Pass-2031", "password2": "Other-Pass-2031",
    })
    assert response.status_code == 200
    assert b"User with this Email already exists." in response.content
    assert collection("users").count_documents({"name": "Twin"}) == 0


def test_the_cancel_action_asks_first_and_changes_nothing_until_confirmed(staff, create_event, customer_client):
    events = [create_event(publish=True, capacity=10, price="25.00", title="Jazz Night")["id"], create_event(publish=True, capacity=10, price="25.00", title="Rock Show")["id"]]
    book(customer_client, events[0], 2)
    response, notes = run_action(staff, Event, "cancel_events", events)
    assert response.status_code == 200 and notes == []
    page = response.content.decode()
    assert f"{events[0]} Jazz Night: Published, 2 tickets sold" in page
    assert f"{events[1]} Rock Show: Published, 0 tickets sold" in page
    for event_id in events:
        assert f'name="_selected_action" value="{event_id}"' in page
    assert 'name="confirm" value="yes"' in page
    assert [doc["status"] for doc in collection("events").find()] == ["PUBLISHED", "PUBLISHED"]
    assert collection("bookings").find_one()["status"] == "CONFIRMED"


def test_the_cancel_action_cancels_events_and_their_bookings_through_the_service(
    staff, create_event, client_for, make_user, organizer_client, other_organizer_client, api
):
    sold = create_event(publish=True, capacity=10, price="12.50")["id"]
    draft = create_event(publish=False, capacity=10, price="25.00", client=other_organizer_client)["id"]
    done = create_event(publish=True, capacity=10, price="25.00")["id"]
    organizer_client.post(f"/events/{done}/cancel")
    buyers = [client_for(make_user()) for _ in range(2)]
    booking_ids = [book(buyers[0], sold, 2).json()["id"], book(buyers[1], sold, 1).json()["id"]]
    assert api.get(f"/events/{sold}").json()["seats_available"] == 7  # cached now

    response, notes = run_action(staff, Event, "cancel_events", [sold, draft, done], confirm="yes", reason="Venue flooded.")

    assert response.status_code == 302
    assert notes == [
        f"Cancelled 2 events: {sold}, {draft}.",
        f"Skipped 1 event: {done} (This event is already CANCELLED.).",
    ]
    shown = api.get(f"/events/{sold}").json()
    assert (shown["status"], shown["seats_available"], shown["cancel_reason"]) == ("CANCELLED", 10, "Venue flooded.")
    for buyer, booking_id in zip(buyers, booking_ids):
        mine = buyer.get("/bookings/me").json()["results"]
        assert [(row["id"], row["status"], row["cancelled_by_event"]) for row in mine] == [(booking_id, "CANCELLED", True)]
    event = assert_invariant(sold)[0]
    assert (event["tickets_sold"], event["revenue_cents"]) == (0, 0)
    assert other_organizer_client.get(f"/events/{draft}").json()["status"] == "CANCELLED"
    logged = LogEntry.objects.filter(user_id=staff.pk).values_list("object_id", "change_message")
    assert sorted(logged) == [(sold, "Cancelled: Venue flooded."), (draft, "Cancelled: Venue flooded.")]


def test_a_blank_reason_becomes_the_default_one(staff, create_event, api):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    run_action(staff, Event, "cancel_events", [event_id], confirm="yes", reason="  ")
    assert api.get(f"/events/{event_id}").json()["cancel_reason"] == "Cancelled by staff."


def test_staff_without_the_change_permission_do_not_get_the_action(create_event):
    clerk = staff_without_permissions()
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response, notes = run_action(clerk, Event, "cancel_events", [event_id], confirm="yes")
    assert response is None and notes == ["No action selected."]
    assert collection("events").find_one({"_id": event_id})["status"] == "PUBLISHED"


def test_only_staff_may_cancel_as_staff(create_event, other_organizer, customer_client, make_user):
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    with pytest.raises(Forbidden):
        event_cancel(event_id=event_id, actor=other_organizer, as_staff=True)
    for someone_else in (other_organizer, make_user()):
        with pytest.raises(Forbidden):
            booking_cancel(booking_id=booking_id, actor=someone_else, as_staff=True)
        with pytest.raises(Forbidden):
            booking_cancel(booking_id=booking_id, actor=someone_else)
    assert collection("events").find_one({"_id": event_id})["status"] == "PUBLISHED"
    assert collection("bookings").find_one({"_id": booking_id})["status"] == "CONFIRMED"
    assert_invariant(event_id)


def test_staff_powers_stay_in_the_admin_the_api_still_wants_the_owner(staff, client_for, create_event):
    """createstaff makes staff with the ORGANIZER role; through the API they are just an organizer."""
    event_id = create_event(publish=True, capacity=10, price="25.00")["id"]
    response = client_for(staff).post(f"/events/{event_id}/cancel")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert collection("events").find_one({"_id": event_id})["status"] == "PUBLISHED"
