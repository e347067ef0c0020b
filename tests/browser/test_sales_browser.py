"""The staff's pictures in Chromium at 1280 px: the index dashboard, an event's page with
its sales chart, seat bars, waiting list and holds, and change lists without sideways
scrolling. A chart that does not render (no SVG, no bars, no size) fails the test.
Each page is kept under tests/artifacts/screenshots/."""

from datetime import timedelta

import pytest

from shared.mongo import collection
from shared.timeutil import now
from tests.helpers import book, new_user

WIDTH, HEIGHT = 1280, 900


@pytest.fixture
def narrow(staff_page):
    """The browser at 1280 px wide, back to its size afterwards; the browser's time zone Asia/Tokyo."""
    driver = staff_page.driver
    size = driver.get_window_size()
    driver.set_window_size(WIDTH, HEIGHT)
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Asia/Tokyo"})
    staff_page.open("/admin/")  # the page's script keeps the browser's time zone in a cookie
    yield staff_page
    driver.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})
    driver.set_window_size(size["width"], size["height"])


@pytest.fixture
def sales(create_event, client_for):
    """Jazz Night (two types) booked on several of the last days, Rock Show booked once, and
    Folk Evening sold out with two customers in line and one holding an offer."""
    jazz = create_event(publish=True, capacity=None, price=None, title="Jazz Night", types=[
        {"name": "Standard", "price": "10.00", "capacity": 40},
        {"name": "VIP", "price": "45.00", "capacity": 10},
    ])
    standard, vip = [t["id"] for t in jazz["types"]]
    rock = create_event(publish=True, capacity=20, price="25.00", title="Rock Show")
    folk = create_event(publish=True, capacity=2, price="15.00", title="Folk Evening")
    ann = new_user(name="Ann Archer", email="ann@example.com")
    bob = new_user(name="Bob Baker", email="bob@example.com")
    cid = new_user(name="Cid Clark", email="cid@example.com")
    dee = new_user(name="Dee Dunn", email="dee@example.com")
    plan = [(ann, jazz, standard, 4, 6), (bob, jazz, vip, 2, 6), (ann, jazz, standard, 3, 3), (cid, jazz, vip, 1, 1),
            (bob, jazz, standard, 5, 0), (cid, rock, None, 2, 2), (ann, folk, None, 2, 0)]
    for user, event, type_id, qty, days_ago in plan:
        response = book(client_for(user), event["id"], qty, ticket_type_id=type_id)
        assert response.status_code == 201, response.content
        collection("bookings").update_one({"_id": response.json()["id"]}, {"$set": {"created_at": now() - timedelta(days=days_ago)}})
    for user, qty in ((bob, 1), (cid, 2)):
        assert client_for(user).post(f"/events/{folk['id']}/waitlist", {"qty": qty}, format="json").status_code == 201
    hold = client_for(dee).post("/holds", {"eventId": jazz["id"], "qty": 2, "ticketTypeId": vip}, format="json")
    assert hold.status_code == 201, hold.content
    return {"jazz": jazz, "rock": rock, "folk": folk, "hold": hold.json()}


def assert_chart(page, css, *, bars):
    """The chart is an SVG of some size with at least `bars` bars drawn."""
    svg = page.find(f"{css} svg.pygal-chart")
    size = svg.size
    assert size["width"] > 300 and size["height"] > 100, (css, size)
    drawn = page.driver.execute_script(
        "return arguments[0].querySelectorAll('.series rect, .series .rect').length", svg)
    assert drawn >= bars, (css, drawn)


def assert_no_sideways_scrolling(page):
    """Neither the page nor a change list's table (which the admin lets scroll by itself) is wider than the window."""
    widths = page.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    for box in page.all(".results, .readonly"):
        inner = page.driver.execute_script("return [arguments[0].scrollWidth, arguments[0].clientWidth]", box)
        assert inner[0] <= inner[1], (box.get_attribute("class"), inner)


def test_the_index_is_a_dashboard_of_the_last_30_days(narrow, sales):
    page = narrow.open("/admin/")
    assert page.text("#site-name") == "Event Booking staff"
    assert page.driver.title.endswith("Event Booking staff")
    assert page.find("#user-tools a[href='/docs/']").text.upper() == "VIEW SITE"
    assert page.text("#dashboard-bookings") == "7\nBOOKINGS"
    assert page.text("#dashboard-tickets") == "19\nTICKETS"
    assert page.text("#dashboard-revenue") == "335.00\nREVENUE"
    assert "in Asia/Tokyo" in page.text("#dashboard")
    assert_chart(page, ".chart-dashboard-tickets", bars=4)
    assert_chart(page, ".chart-dashboard-revenue", bars=4)
    assert_chart(page, ".chart-top", bars=3)
    assert page.texts("#top-events tbody td:first-child") == [
        f"Jazz Night ({sales['jazz']['id']})", f"Rock Show ({sales['rock']['id']})", f"Folk Evening ({sales['folk']['id']})"]
    assert_no_sideways_scrolling(page)
    page.shot("dashboard")
    page.click_link("Jazz Night")
    assert page.path() == f"/admin/events/event/{sales['jazz']['id']}/change/"


def test_an_events_page_shows_its_sales_seats_holds_and_links(narrow, sales):
    jazz = sales["jazz"]["id"]
    page = narrow.open(f"/admin/events/event/{jazz}/change/")
    assert_chart(page, ".chart-sales", bars=4)
    assert_chart(page, ".chart-types", bars=4)
    assert "15 tickets, 255.00 in Asia/Tokyo" in page.text(".field-sales_chart")
    [hold] = [row.split("\t") for row in page.driver.execute_script(
        "return [...document.querySelectorAll('tr.seat-hold')].map(r => [...r.cells].map(c => c.innerText).join('\\t'))")]
    assert hold[:6] == [sales["hold"]["id"], "Dee Dunn", "dee@example.com", "VIP", "2", "45.00"]
    assert hold[6].endswith("JST") and hold[7].endswith("JST")
    assert_no_sideways_scrolling(page)
    page.shot("event")
    page.driver.execute_script("document.querySelector('.field-types_chart').scrollIntoView()")
    page.shot("event-seats")
    page.driver.execute_script("document.querySelector('.field-waiting_list').scrollIntoView()")
    page.shot("event-holds")
    page.click("#link-attendees")
    assert sorted(page.texts("#result_list td.field-customer_name")) == ["Ann Archer", "Ann Archer", "Bob Baker", "Bob Baker", "Cid Clark"]
    assert_no_sideways_scrolling(page)
    page.shot("attendees")


def test_the_waiting_list_in_line_order_with_names_and_times(narrow, sales):
    page = narrow.open(f"/admin/events/event/{sales['folk']['id']}/change/")
    page.driver.execute_script("document.querySelector('.field-waiting_list').scrollIntoView()")
    rows = page.driver.execute_script(
        "return [...document.querySelectorAll('tr.waitlist-entry')].map(r => [...r.cells].map(c => c.innerText))")
    assert [row[:6] for row in rows] == [
        ["1", "Bob Baker", "bob@example.com", "General admission", "1", "WAITING"],
        ["2", "Cid Clark", "cid@example.com", "General admission", "2", "WAITING"],
    ]
    assert all(row[6].endswith("JST") for row in rows)
    assert "2 customers waiting. Times in Asia/Tokyo." in page.text(".field-waiting_list")
    page.shot("waitlist")
    # A seat comes back: the first in line gets an offer, shown with its expiry.
    ann_booking = collection("bookings").find_one({"event_id": sales["folk"]["id"]})["_id"]
    from bookings.services import booking_cancel
    from accounts.models import User
    booking_cancel(booking_id=ann_booking, actor=User.objects.get(email="ann@example.com"))
    page.open(f"/admin/events/event/{sales['folk']['id']}/change/")
    rows = page.driver.execute_script(
        "return [...document.querySelectorAll('tr.waitlist-entry')].map(r => [...r.cells].map(c => c.innerText))")
    assert [row[:6] for row in rows][0] == ["-", "Bob Baker", "bob@example.com", "General admission", "1", "OFFERED"]
    assert rows[0][7].endswith("JST")
    assert_no_sideways_scrolling(page)
    page.driver.execute_script("document.querySelector('.field-waiting_list').scrollIntoView()")
    page.shot("waitlist-offered")


def test_change_lists_fit_1280_px(narrow, sales):
    for path, name in (("/admin/events/event/", "events"), ("/admin/bookings/booking/", "bookings")):
        page = narrow.open(path)
        page.find("#result_list")
        assert_no_sideways_scrolling(page)
        page.shot(name)
