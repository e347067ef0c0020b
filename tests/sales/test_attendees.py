"""GET /events/{id}/attendees: who booked an event, for its owner and staff; and its exports."""

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import openpyxl
import pytest

from accounts.models import Role
from shared.mongo import collection
from tests.helpers import book, new_user, token_for


@pytest.fixture
def crowd(create_event, client_for):
    """A published event of two types booked by three named customers; one booking cancelled."""
    event = create_event(publish=True, capacity=None, price=None, title="Jazz Night", types=[
        {"name": "Standard", "price": "10.00", "capacity": 50},
        {"name": "VIP", "price": "40.00", "capacity": 10},
    ])
    standard, vip = [t["id"] for t in event["types"]]
    people = {
        "ann": new_user(name="Ann Archer", email="ann@example.com"),
        "bob": new_user(name="Bob Baker", email="bob@jazz.example"),
        "eve": new_user(name="=HYPERLINK(\"http://evil\")", email="@eve@example.com"),
    }
    ids = {}
    for who, type_id, qty in [("ann", standard, 2), ("bob", vip, 1), ("eve", standard, 3), ("ann", vip, 2)]:
        response = book(client_for(people[who]), event["id"], qty, ticket_type_id=type_id)
        assert response.status_code == 201, response.content
        ids.setdefault(who, []).append(response.json()["id"])
    # Booking times one minute apart, in booking order.
    base = datetime(2030, 1, 1, 12, tzinfo=UTC)
    for n, booking_id in enumerate(sorted(sum(ids.values(), []))):
        collection("bookings").update_one({"_id": booking_id}, {"$set": {"created_at": base + timedelta(minutes=n)}})
    assert client_for(people["ann"]).post(f"/bookings/{ids['ann'][1]}/cancel").status_code == 200
    return {"event": event, "people": people, "ids": ids}


def test_the_owner_sees_one_row_per_confirmed_booking_with_its_customer(organizer_client, crowd):
    response = organizer_client.get(f"/events/{crowd['event']['id']}/attendees")
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 3 and page["pages"] == 1
    rows = page["results"]
    assert [(r["booking_id"], r["customer_name"], r["customer_email"], r["ticket_type_name"], r["qty"], r["amount"])
            for r in rows] == [
        (crowd["ids"]["ann"][0], "Ann Archer", "ann@example.com", "Standard", 2, "20.00"),
        (crowd["ids"]["bob"][0], "Bob Baker", "bob@jazz.example", "VIP", 1, "40.00"),
        (crowd["ids"]["eve"][0], "=HYPERLINK(\"http://evil\")", "@eve@example.com", "Standard", 3, "30.00"),
    ]
    assert rows[0]["booked_at"] == "2030-01-01T12:00:00Z" and rows[0]["status"] == "CONFIRMED"
    assert rows[0]["cancelled_at"] is None and rows[0]["unit_price"] == "10.00"


def test_cancelled_bookings_on_request(organizer_client, crowd):
    rows = organizer_client.get(f"/events/{crowd['event']['id']}/attendees?status=CANCELLED").json()["results"]
    assert [(r["booking_id"], r["status"]) for r in rows] == [(crowd["ids"]["ann"][1], "CANCELLED")]
    assert rows[0]["cancelled_at"] is not None


def test_pages_sort_and_search(organizer_client, crowd):
    url = f"/events/{crowd['event']['id']}/attendees"
    page = organizer_client.get(f"{url}?page_size=2&page=2").json()
    assert (page["count"], page["page"], page["previous"], page["next"]) == (3, 2, 1, None)
    assert [r["customer_name"] for r in page["results"]] == ["=HYPERLINK(\"http://evil\")"]
    newest = organizer_client.get(f"{url}?sort=-booked_at").json()["results"]
    assert [r["customer_email"] for r in newest] == ["@eve@example.com", "bob@jazz.example", "ann@example.com"]
    by_amount = organizer_client.get(f"{url}?sort=-amount").json()["results"]
    assert [r["amount"] for r in by_amount] == ["40.00", "30.00", "20.00"]
    assert [r["amount"] for r in organizer_client.get(f"{url}?sort=amount").json()["results"]] == ["20.00", "30.00", "40.00"]
    # Name or email, any case; a regex character is a plain character.
    assert [r["customer_name"] for r in organizer_client.get(f"{url}?q=BAKER").json()["results"]] == ["Bob Baker"]
    assert [r["customer_email"] for r in organizer_client.get(f"{url}?q=jazz.example").json()["results"]] == ["bob@jazz.example"]
    assert organizer_client.get(f"{url}?q=.*").json()["count"] == 0
    assert organizer_client.get(f"{url}?q=nobody").json() == {
        "count": 0, "page": 1, "page_size": 20, "pages": 0, "next": None, "previous": None, "results": []}
    # The search and the status together: Ann's cancelled booking.
    assert organizer_client.get(f"{url}?q=ann&status=CANCELLED").json()["count"] == 1


@pytest.mark.parametrize("query, field", [
    ("colour=red", "colour"),
    ("status=VOID", "status"),
    ("status=confirmed", "status"),
    ("sort=name", "sort"),
    ("page=0", "page"),
    ("page_size=101", "page_size"),
    ("page=x", "page"),
    ("q=" + "x" * 101, "q"),
    ("sort=amount&sort=-amount", "sort"),
    ("format=pdf", "format"),
    ("format=csv&page=2", "page"),
    ("format=xlsx&page_size=5", "page_size"),
])
def test_malformed_or_unknown_parameters_are_refused(organizer_client, published_event, query, field):
    response = organizer_client.get(f"/events/{published_event['id']}/attendees?{query}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["error"]["fields"]


def test_only_the_owner_and_staff_see_customers(crowd, client_for, other_organizer_client, customer_client, api):
    url = f"/events/{crowd['event']['id']}/attendees"
    assert api.get(url).status_code == 401
    for stranger in (other_organizer_client, customer_client, client_for(crowd["people"]["ann"])):
        response = stranger.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "event_not_found"
        assert "Ann" not in response.content.decode()
    staff = new_user(Role.ORGANIZER)
    staff.is_staff = True
    staff.save()
    assert client_for(staff).get(url).json()["count"] == 3
    assert api.get("/events/EVT-9999/attendees", HTTP_AUTHORIZATION=f"Bearer {token_for(staff)}").status_code == 404
    assert client_for(staff).get("/events/nonsense/attendees").status_code == 404


def test_a_draft_has_no_attendees_yet(organizer_client, draft_event):
    assert organizer_client.get(f"/events/{draft_event['id']}/attendees").json()["count"] == 0


# Exports, through a real server: streamed bodies -------------------------------------


def get(server, user, path, **headers):
    return httpx.get(f"{server.url}{path}", headers={"Authorization": f"Bearer {token_for(user)}", **headers}, timeout=30)


def test_csv_export_holds_the_same_rows_with_formulas_neutralised(server, organizer, crowd):
    event_id = crowd["event"]["id"]
    response = get(server, organizer, f"/events/{event_id}/attendees?format=csv&sort=-booked_at")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="{event_id}-jazz-night-attendees.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["booking id", "customer name", "customer email", "ticket type id", "ticket type", "qty",
                       "unit price", "amount", "status", "booked at (UTC)", "cancelled at (UTC)"]
    assert [row[:3] + row[5:10] for row in rows[1:]] == [
        [crowd["ids"]["eve"][0], "'=HYPERLINK(\"http://evil\")", "'@eve@example.com", "3", "10.00", "30.00", "CONFIRMED", "2030-01-01T12:02:00Z"],
        [crowd["ids"]["bob"][0], "Bob Baker", "bob@jazz.example", "1", "40.00", "40.00", "CONFIRMED", "2030-01-01T12:01:00Z"],
        [crowd["ids"]["ann"][0], "Ann Archer", "ann@example.com", "2", "10.00", "20.00", "CONFIRMED", "2030-01-01T12:00:00Z"],
    ]
    # Accept chooses the format too; a search narrows the export as it does the page.
    by_accept = get(server, organizer, f"/events/{event_id}/attendees?q=bob", Accept="text/csv")
    assert by_accept.status_code == 200 and by_accept.headers["content-type"].startswith("text/csv")
    assert [row[1] for row in csv.reader(io.StringIO(by_accept.content.decode("utf-8-sig")))] == ["customer name", "Bob Baker"]


def test_xlsx_export_reads_back_in_a_spreadsheet_library(server, organizer, crowd):
    event_id = crowd["event"]["id"]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    for response in (get(server, organizer, f"/events/{event_id}/attendees?format=xlsx&status=CANCELLED"),
                     get(server, organizer, f"/events/{event_id}/attendees?status=CANCELLED", Accept=xlsx)):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == xlsx
        assert response.headers["content-disposition"] == f'attachment; filename="{event_id}-jazz-night-attendees-cancelled.xlsx"'
        sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)["Attendees"]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0][:3] == ["booking id", "customer name", "customer email"]
        assert len(rows) == 2
        [row] = rows[1:]
        assert row[:6] == [crowd["ids"]["ann"][1], "Ann Archer", "ann@example.com", crowd["event"]["types"][1]["id"], "VIP", 2]
        assert row[6:9] == [40, 80, "CANCELLED"]
        assert row[9] == datetime(2030, 1, 1, 12, 3) and isinstance(row[10], datetime)
    # A formula-looking name is a string cell, not a formula.
    response = get(server, organizer, f"/events/{event_id}/attendees?format=xlsx&q=evil")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Attendees"]
    assert sheet["B2"].value == "=HYPERLINK(\"http://evil\")" and sheet["B2"].data_type == "s"


def test_export_refusals_are_json_errors(server, organizer, other_organizer, crowd):
    event_id = crowd["event"]["id"]
    response = get(server, other_organizer, f"/events/{event_id}/attendees?format=csv")
    assert response.status_code == 404 and response.json()["error"]["code"] == "event_not_found"
    response = get(server, organizer, f"/events/{event_id}/attendees", Accept="application/pdf")
    assert response.status_code == 406 and response.json()["error"]["code"] == "not_acceptable"
    response = get(server, organizer, f"/events/{event_id}/attendees?format=csv&colour=red")
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"


def test_staff_download_the_attendees_from_the_events_admin_page(server, crowd, organizer):
    """The admin's CSV and XLSX links, through a real server with a staff session."""
    import re

    from accounts.models import User
    from tests.helpers import PASSWORD

    event_id = crowd["event"]["id"]
    User.objects.create_superuser(email="boss@example.com", password=PASSWORD, name="Boss")
    browser = httpx.Client(base_url=server.url, timeout=30)
    login = browser.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    logged = browser.post("/admin/login/?next=/admin/", data={"username": "boss@example.com", "password": PASSWORD,
                                                              "csrfmiddlewaretoken": token}, headers={"Referer": f"{server.url}/admin/login/"})
    assert logged.status_code == 302 and logged.headers["location"] == "/admin/", logged.text
    cookies = dict(browser.cookies)
    page = httpx.get(f"{server.url}/admin/events/event/{event_id}/change/", cookies=cookies, timeout=30)
    assert page.status_code == 200
    assert f'href="/admin/events/event/{event_id}/attendees.csv"' in page.text
    response = httpx.get(f"{server.url}/admin/events/event/{event_id}/attendees.csv", cookies=cookies, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{event_id}-jazz-night-attendees.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["Ann Archer", "Bob Baker", "'=HYPERLINK(\"http://evil\")"]
    xlsx = httpx.get(f"{server.url}/admin/events/event/{event_id}/attendees.xlsx", cookies=cookies, timeout=30)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)["Attendees"]
    assert sheet.max_row == 4
    assert httpx.get(f"{server.url}/admin/events/event/{event_id}/attendees.pdf", cookies=cookies, timeout=30).status_code == 404
    # Without a staff session: the admin's login page, no rows.
    anonymous = httpx.get(f"{server.url}/admin/events/event/{event_id}/attendees.csv", timeout=30)
    assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/admin/login/")
