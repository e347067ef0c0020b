"""The staff admin in Chromium, against daphne (DEBUG=0) on the test database:
log in, look around, search and filter, cancel events and bookings through the
change lists (the same services as the API), edit and disable users.
Each page is kept under tests/artifacts/screenshots/."""

import httpx
import pytest

from accounts.models import Role
from shared.mongo import collection
from tests.helpers import PASSWORD, assert_invariant, book, token_for
from tests.realtime.clients import WAIT, SocketIOListener

REFUSED = "Please enter the correct email and password for a staff account."
TRANSPARENT = "rgba(0, 0, 0, 0)"


def api_get(server, path, user=None):
    headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}
    return httpx.get(f"{server.url}{path}", headers=headers, timeout=WAIT)


@pytest.fixture
def three_events(create_event, organizer_client, other_organizer_client, customer_client):
    """Jazz Night (Lyon, published, 3 sold at 12.50), Rock Show (Paris, draft),
    Folk Evening (Lyon, published, the other organizer's)."""
    jazz = create_event(publish=True, capacity=10, price="12.50", title="Jazz Night")["id"]
    rock = create_event(publish=False, title="Rock Show")["id"]
    assert organizer_client.patch(f"/events/{rock}", {"city": "Paris"}, format="json").status_code == 200
    folk = create_event(publish=True, client=other_organizer_client, title="Folk Evening")["id"]
    assert book(customer_client, jazz, 3).status_code == 201
    return jazz, rock, folk


def editable(page):
    """The names of the form fields a person could change on this page."""
    fields = page.all("#content-main input, #content-main select, #content-main textarea")
    return [field.get_attribute("name") for field in fields if field.get_attribute("type") != "hidden"]


def tick(page, ids, action):
    """Tick rows of the change list, choose an action, press Go."""
    for pk in ids:
        page.click(f'#result_list input.action-select[value="{pk}"]')
    page.select('select[name="action"]', action)
    page.click('button[name="index"]')


def test_staff_log_in_with_the_right_password_and_see_the_styled_index(staff_page, staff):
    page = staff_page
    assert page.text("#content h1") == "Dashboard" and page.text("#site-name") == "Event Booking staff"
    links = page.texts("#content-main a")
    for name in ("Users", "Events", "Bookings"):
        assert name in links
    # The admin's CSS arrived (WhiteNoise under daphne): the header is coloured, not bare.
    assert page.style("#header", "background-color") != TRANSPARENT
    page.shot("index")
    staff.refresh_from_db()
    assert staff.last_login is not None


def test_a_wrong_password_stays_on_the_login_page_with_the_reason(page, staff):
    page.log_in(password="Not-The-Password-1")
    page.wait_for_text(REFUSED, ".errornote")
    page.shot("refused")
    assert page.path().startswith("/admin/login/")
    assert page.style("#header", "background-color") != TRANSPARENT
    page.open("/admin/")
    assert page.path() == "/admin/login/?next=/admin/"


def test_events_change_list_search_filter_count_and_sales(staff_page, three_events):
    jazz, rock, folk = three_events
    page = staff_page.open("/admin/events/event/")
    assert page.change_list_ids() == [folk, rock, jazz]  # newest first
    assert page.text(".paginator").startswith("3 events")
    page.shot("events")

    page.fill("#searchbar", "jazz")
    page.click('#changelist-search input[type="submit"]')
    page.wait_for_text("1 result", "#changelist-search")
    assert page.change_list_ids() == [jazz]
    assert "(3 total)" in page.text("#changelist-search")
    # Each event's tickets sold and revenue, in the row.
    row = {name: page.text(f"#result_list tbody tr td.field-{name}") for name in ("seats_available", "tickets_sold", "revenue")}
    assert row == {"seats_available": "7", "tickets_sold": "3", "revenue": "37.50"}
    page.shot("events-search")

    page.open("/admin/events/event/")
    page.click_link("Draft")
    page.wait_for_text("1 event", ".paginator")
    assert page.change_list_ids() == [rock]
    page.shot("events-filter-draft")
    page.open("/admin/events/event/")
    page.click_link("Lyon")
    page.wait_for_text("2 events", ".paginator")
    assert page.change_list_ids() == [folk, jazz]


def test_cancel_selected_events_through_the_change_list(staff_page, server, three_events, customer):
    jazz, rock, folk = three_events
    assert api_get(server, f"/events/{jazz}").json()["seats_available"] == 7  # cached now
    page = staff_page.open("/admin/events/event/")
    tick(page, [jazz, rock], "Cancel selected events (and their bookings)")
    page.wait_for_text("Cancel these events?", "#content h1")
    assert f"{jazz} Jazz Night: Published, 3 tickets sold" in page.text("#to-cancel")
    assert collection("events").find_one({"_id": jazz})["status"] == "PUBLISHED"
    page.fill("#id_reason", "Venue flooded.")
    page.shot("confirm")
    page.click('input[value="Yes, cancel them"]')

    page.wait_for_text(f"Cancelled 2 events: {jazz}, {rock}.", "ul.messagelist")
    page.shot("cancelled")
    shown = api_get(server, f"/events/{jazz}").json()
    assert (shown["status"], shown["seats_available"], shown["cancel_reason"]) == ("CANCELLED", 10, "Venue flooded.")
    mine = api_get(server, "/bookings/me", customer).json()["results"]
    assert [(row["event_id"], row["status"], row["cancelled_by_event"]) for row in mine] == [(jazz, "CANCELLED", True)]
    assert_invariant(jazz)
    assert collection("events").find_one({"_id": folk})["status"] == "PUBLISHED"


def test_find_a_user_by_email_and_save_their_change_form(staff_page, make_user):
    ann = make_user(Role.CUSTOMER, name="Ann Customer")
    make_user(Role.CUSTOMER, name="Bob Customer")
    page = staff_page.open("/admin/accounts/user/")
    page.fill("#searchbar", ann.email.upper())
    page.click('#changelist-search input[type="submit"]')
    page.wait_for_text("1 result", "#changelist-search")
    page.shot("users-search")
    page.click_link(ann.email)
    page.find("#id_name")
    page.fill("#id_name", "Ann Renamed")
    page.select("#id_role", "Organizer")
    page.shot("user-form")
    page.click('input[name="_save"]')

    page.wait_for_text("was changed successfully", "ul.messagelist")
    page.shot("user-saved")
    ann.refresh_from_db()
    assert (ann.name, ann.role, ann.is_active) == ("Ann Renamed", Role.ORGANIZER, True)


def test_a_disabled_user_is_refused_by_the_api_and_realtime_at_once(staff_page, server, customer):
    token = token_for(customer)
    assert httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=WAIT).status_code == 200
    page = staff_page.open(f"/admin/accounts/user/{customer.pk}/change/")
    page.click("#id_is_active")
    page.click('input[name="_save"]')
    page.wait_for_text("was changed successfully", "ul.messagelist")

    me = httpx.get(f"{server.url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=WAIT)
    assert me.status_code == 401 and me.json()["error"]["code"] == "user_inactive", me.text
    login = httpx.post(f"{server.url}/login", json={"email": customer.email, "password": PASSWORD}, timeout=WAIT)
    assert login.status_code == 401
    assert SocketIOListener(server.url, token=token).refused()["data"]["code"] == "user_inactive"

    page.open("/admin/accounts/user/?is_active__exact=0")
    assert page.texts("#result_list tbody th a") == [customer.email]
    page.shot("users-disabled")


def test_bookings_filtered_by_status_and_event(staff_page, create_event, other_organizer_client, client_for, make_user):
    lyon = create_event(publish=True, price="12.50", title="Jazz Night")["id"]
    other = create_event(publish=True, client=other_organizer_client, title="Folk Evening")["id"]
    ann, bob = client_for(make_user(name="Ann")), client_for(make_user(name="Bob"))
    first = book(ann, lyon, 2).json()["id"]
    second = book(bob, other, 1).json()["id"]
    third = book(bob, lyon, 1).json()["id"]
    assert bob.post(f"/bookings/{third}/cancel").status_code == 200

    page = staff_page.open("/admin/bookings/booking/")
    assert page.change_list_ids() == [third, second, first]
    page.click_link("Cancelled")
    page.wait_for_text("1 booking", ".paginator")
    assert page.change_list_ids() == [third]
    page.shot("bookings-cancelled")
    page.click_link(f"{lyon} Jazz Night")
    page.wait_for_text("1 booking", ".paginator")
    assert page.change_list_ids() == [third]
    page.click_link("Confirmed")
    page.wait_for_text("1 booking", ".paginator")
    assert page.change_list_ids() == [first]
    page.shot("bookings-confirmed-jazz")


def test_staff_cancel_a_booking_seats_return_and_the_organizer_hears_it(
    staff_page, server, create_event, organizer, customer_client, customer
):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    booking_id = book(customer_client, event_id, 3).json()["id"]
    listener = SocketIOListener(server.url, token=token_for(organizer)).connect()
    try:
        page = staff_page.open("/admin/bookings/booking/")
        tick(page, [booking_id], "Cancel selected bookings (seats return, the organizer is told)")
        page.wait_for_text("Cancel these bookings?", "#content h1")
        assert f"{booking_id}: 3 tickets for {event_id} Jazz Night, {customer.email}, Confirmed" in page.text("#to-cancel")
        page.shot("confirm")
        page.click('input[value="Yes, cancel them"]')
        page.wait_for_text(f"Cancelled 1 booking: {booking_id}.", "ul.messagelist")
        page.shot("cancelled")

        notice = listener.wait_for("booking.cancelled")
        assert (notice["booking_id"], notice["status"], notice["seats_available"]) == (booking_id, "CANCELLED", 10)
    finally:
        listener.close()
    assert api_get(server, f"/events/{event_id}").json()["seats_available"] == 10
    mine = api_get(server, "/bookings/me", customer).json()["results"]
    assert [(row["id"], row["status"], row["cancelled_by_event"]) for row in mine] == [(booking_id, "CANCELLED", False)]
    assert_invariant(event_id)

    # Again: refused by the service, with its reason, and nothing moves.
    tick(page.open("/admin/bookings/booking/"), [booking_id], "Cancel selected bookings (seats return, the organizer is told)")
    page.click('input[value="Yes, cancel them"]')
    page.wait_for_text(f"Skipped 1 booking: {booking_id} (This booking is already cancelled.).", "ul.messagelist")
    assert_invariant(event_id)


def test_counters_are_read_only_in_the_event_and_booking_forms(staff_page, create_event, customer_client):
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    booking_id = book(customer_client, event_id, 2).json()["id"]
    page = staff_page.open(f"/admin/events/event/{event_id}/change/")
    for name, value in {"capacity": "10", "seats_available": "8", "tickets_sold": "2", "revenue": "25.00"}.items():
        assert page.text(f".field-{name} .readonly") == value
    assert editable(page) == []
    page.shot("event-form")
    page.open(f"/admin/bookings/booking/{booking_id}/change/")
    assert page.text(".field-qty .readonly") == "2" and page.text(".field-amount .readonly") == "25.00"
    assert editable(page) == []
    page.shot("booking-form")
