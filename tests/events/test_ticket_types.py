"""Ticket types on an event: created and edited with it (DRAFT: anything; PUBLISHED:
no deleting or shrinking a type below what it sold), shown with price and seats left."""

from tests.helpers import event_body, event_doc, future, iso, sell

THREE = [
    {"name": "Early bird", "price": "10.00", "capacity": 100, "sort_order": 1},
    {"name": "Standard", "price": "15.00", "capacity": 300, "sort_order": 2},
    {"name": "VIP", "price": "60.00", "capacity": 20, "sort_order": 3, "max_per_booking": 2},
]


def create(client, publish=False, **overrides):
    response = client.post("/events", event_body(**{"price": None, "capacity": None, **overrides}), format="json")
    assert response.status_code == 201, response.content
    event = response.json()
    if publish:
        event = client.post(f"/events/{event['id']}/publish").json()
    return event


def edit(client, event_id, body):
    return client.patch(f"/events/{event_id}", body, format="json")


def test_an_event_sells_its_types_and_its_capacity_is_their_sum(organizer_client, api):
    event = create(organizer_client, types=THREE, publish=True)
    assert event["capacity"] == 420 and event["seats_available"] == 420 and event["quota"] is None
    assert event["price_from"] == event["price"] == "10.00"
    assert [(t["name"], t["price"], t["seats_available"], t["sold_out"], t["tickets_sold"]) for t in event["types"]] == [
        ("Early bird", "10.00", 100, False, 0),
        ("Standard", "15.00", 300, False, 0),
        ("VIP", "60.00", 20, False, 0),
    ]
    public = api.get(f"/events/{event['id']}").json()
    assert [t["max_per_booking"] for t in public["types"]] == [None, None, 2]
    assert "tickets_sold" not in public["types"][0] and all(t["on_sale"] for t in public["types"])


def test_an_event_made_without_types_gets_one_default_type(organizer_client):
    response = organizer_client.post("/events", event_body(price="12.50", capacity=50), format="json")
    [default] = response.json()["types"]
    assert (default["name"], default["price"], default["capacity"]) == ("General admission", "12.50", 50)
    assert default["id"].startswith("TT-")


def test_a_lower_capacity_is_a_shared_quota_and_seats_left_show_the_lower_limit(organizer_client):
    event = create(organizer_client, types=THREE[:2], capacity=120, publish=True)
    assert event["capacity"] == 120 and event["quota"] == 120
    sell(event["id"], 110, price_cents=1500, type_index=1)
    shown = organizer_client.get(f"/events/{event['id']}").json()
    assert shown["seats_available"] == 10
    # Early bird has 100 seats of its own and Standard 190, but the event has only 10 left.
    assert [t["seats_available"] for t in shown["types"]] == [10, 10]
    assert [t["seats_available"] for t in event_doc(event["id"])["types"]] == [100, 190]


def test_a_sold_out_type_says_so(organizer_client, api):
    event = create(organizer_client, types=THREE, publish=True)
    sell(event["id"], 20, price_cents=6000, type_index=2)
    types = api.get(f"/events/{event['id']}").json()["types"]
    assert [(t["name"], t["sold_out"], t["seats_available"]) for t in types][2] == ("VIP", True, 0)
    assert not types[0]["sold_out"]


def replace(client, event_id, types):
    return client.put(f"/events/{event_id}/types", {"types": types}, format="json")


def test_a_draft_changes_anything(organizer_client):
    event = create(organizer_client, types=THREE)
    early, standard, vip = [t["id"] for t in event["types"]]
    body = {"types": [{"id": standard, "price": "18.00", "capacity": 10}, {"name": "Student", "price": "5.00", "capacity": 5},
                      {"id": early, "remove": True}, {"id": vip, "remove": True}]}
    response = edit(organizer_client, event["id"], body)
    assert response.status_code == 200, response.content
    after = response.json()
    assert [(t["name"], t["price"], t["capacity"]) for t in after["types"]] == [("Student", "5.00", 5), ("Standard", "18.00", 10)]
    assert after["capacity"] == 15 and after["price_from"] == "5.00"
    assert early not in {t["id"] for t in event_doc(event["id"])["types"]}


def test_a_patch_of_types_changes_those_named_and_keeps_the_others(organizer_client):
    """A client that only means to change one price names that type alone: the other types,
    sold or not, stay as they were (on a published event too)."""
    event = create(organizer_client, types=THREE, publish=True)
    early, standard, vip = [t["id"] for t in event["types"]]
    sell(event["id"], 30, price_cents=1000, type_index=0)

    response = edit(organizer_client, event["id"], {"types": [{"id": standard, "price": "35.00"}]})

    assert response.status_code == 200, response.content
    after = response.json()
    assert [(t["id"], t["price"], t["capacity"], t["tickets_sold"]) for t in after["types"]] == [
        (early, "10.00", 100, 30), (standard, "35.00", 300, 0), (vip, "60.00", 20, 0)]
    assert after["capacity"] == 420 and after["seats_available"] == 390
    # A new type is added beside the others.
    response = edit(organizer_client, event["id"], {"types": [{"name": "Student", "price": "5.00", "capacity": 5}]})
    assert [t["name"] for t in response.json()["types"]] == ["Student", "Early bird", "Standard", "VIP"]


def test_removing_a_type_is_explicit_and_refused_once_it_sold(organizer_client):
    event = create(organizer_client, types=THREE, publish=True)
    early, standard, vip = [t["id"] for t in event["types"]]
    sell(event["id"], 30, price_cents=1000, type_index=0)
    before = event_doc(event["id"])

    response = edit(organizer_client, event["id"], {"types": [{"id": early, "remove": True}]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_type_has_sales"
    assert response.json()["error"]["ticket_type_id"] == early
    response = edit(organizer_client, event["id"], {"types": [{"id": vip, "remove": True, "price": "1.00"}]})
    assert response.status_code == 400 and response.json()["error"]["fields"] == {
        "types": {"0": {"remove": ["A type being removed takes no other fields."]}}}
    assert event_doc(event["id"]) == before

    response = edit(organizer_client, event["id"], {"types": [{"id": vip, "remove": True}]})
    assert response.status_code == 200, response.content
    assert [t["id"] for t in response.json()["types"]] == [early, standard]
    assert response.json()["capacity"] == 400


def test_put_replaces_the_whole_list(organizer_client):
    event = create(organizer_client, types=THREE, publish=True)
    early, standard, vip = [t["id"] for t in event["types"]]
    sell(event["id"], 30, price_cents=1000, type_index=0)

    response = replace(organizer_client, event["id"], [{"id": standard}, {"id": vip}])
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_type_has_sales"
    assert response.json()["error"]["ticket_type_id"] == early

    response = replace(organizer_client, event["id"], [{"id": early}, {"name": "Student", "price": "5.00", "capacity": 5}])
    assert response.status_code == 200, response.content
    assert [(t["name"], t["tickets_sold"]) for t in response.json()["types"]] == [("Student", 0), ("Early bird", 30)]
    assert [t["name"] for t in event_doc(event["id"])["types"]] == ["Student", "Early bird"]
    response = replace(organizer_client, event["id"], [{"id": early, "remove": True}])
    assert response.status_code == 400 and "remove" in response.json()["error"]["fields"]["types"]["0"]


def test_published_a_type_with_sales_cannot_be_deleted_or_shrunk_below_sold(organizer_client):
    event = create(organizer_client, types=THREE, publish=True)
    early, standard, vip = [t["id"] for t in event["types"]]
    sell(event["id"], 30, price_cents=1000, type_index=0)
    before = event_doc(event["id"])

    response = edit(organizer_client, event["id"], {"types": [{"id": early, "remove": True}]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_type_has_sales"
    assert response.json()["error"]["ticket_type_id"] == early
    response = edit(organizer_client, event["id"], {"types": [{"id": early, "capacity": 29}]})
    assert response.status_code == 409 and response.json()["error"]["code"] == "capacity_below_sold"
    assert event_doc(event["id"]) == before

    # Deleting an unsold type, shrinking to exactly what is sold: fine.
    response = edit(organizer_client, event["id"], {"types": [{"id": early, "capacity": 30}, {"id": vip, "remove": True}]})
    assert response.status_code == 200, response.content
    doc = event_doc(event["id"])
    assert [(t["id"], t["seats_available"], t["tickets_sold"]) for t in doc["types"]] == [(early, 0, 30), (standard, 300, 0)]
    assert (doc["capacity"], doc["seats_available"], doc["tickets_sold"]) == (330, 300, 30)


def test_a_quota_below_what_is_sold_is_refused(organizer_client):
    event = create(organizer_client, types=THREE, publish=True)
    sell(event["id"], 40, price_cents=1500, type_index=1)
    response = edit(organizer_client, event["id"], {"capacity": 39})
    assert response.status_code == 409 and response.json()["error"]["code"] == "capacity_below_sold"
    response = edit(organizer_client, event["id"], {"capacity": 40})
    assert response.status_code == 200 and response.json()["seats_available"] == 0


def test_price_without_types_is_refused_when_the_event_has_several(organizer_client):
    event = create(organizer_client, types=THREE)
    response = edit(organizer_client, event["id"], {"price": "9.00"})
    assert response.status_code == 400 and "price" in response.json()["error"]["fields"]
    response = organizer_client.post("/events", event_body(types=THREE), format="json")
    assert response.status_code == 400 and "price" in response.json()["error"]["fields"]


def field_at(fields, path):
    """The messages at `path` (("types", "1", "sales_end")) of an error's `fields`, or None."""
    for key in path:
        if not isinstance(fields, dict) or key not in fields:
            return None
        fields = fields[key]
    return fields


def test_malformed_types_are_400_naming_the_field_nested_by_index(organizer_client):
    """Every error about a list item is keyed the way DRF keys one: {"types": {"<index>": {"<field>": [...]}}}."""
    window = {"sales_start": iso(future(5)), "sales_end": iso(future(4))}
    cases = [
        ({"types": []}, ("types",)),
        ({"types": [{"name": "A", "capacity": 0}]}, ("types", "0", "capacity")),
        ({"types": [{"name": "A"}]}, ("types", "0", "capacity")),
        ({"types": [{"capacity": 3}]}, ("types", "0", "name")),
        ({"types": [{"id": "TT-9999", "name": "A", "capacity": 3}]}, ("types", "0", "id")),
        ({"types": [{"name": "A", "capacity": 3, "colour": "red"}]}, ("types", "0", "colour")),
        ({"types": [{"name": "A", "capacity": 3}, {"name": "B", "capacity": 3, **window}]}, ("types", "1", "sales_end")),
        ({"title": "No seats"}, ("capacity",)),
        ({"types": [{"name": "A", "capacity": 3, "sales_end": "2030-01-01T12:99:00Z"}]}, ("types", "0", "sales_end")),
    ]
    for types, path in cases:
        response = organizer_client.post("/events", event_body(price=None, capacity=None, **types), format="json")
        assert response.status_code == 400, (types, response.content)
        messages = field_at(response.json()["error"]["fields"], path)
        assert isinstance(messages, list) and messages, (types, response.json())


def test_an_edit_naming_an_unknown_type_or_a_bad_window_is_keyed_by_index(organizer_client):
    event = create(organizer_client, types=THREE)
    early = event["types"][0]["id"]
    response = edit(organizer_client, event["id"], {"types": [{"id": early, "price": "1.00"}, {"id": "TT-9999", "price": "2.00"}]})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"types": {"1": {"id": ["This event has no ticket type TT-9999."]}}}
    response = edit(organizer_client, event["id"], {"types": [{"id": early, "sales_start": iso(future(5)), "sales_end": iso(future(4))}]})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"types": {"0": {"sales_end": ["sales_end must be after sales_start."]}}}


def test_list_filters_by_max_price_and_sorts_by_the_lowest_price(organizer_client, api):
    cheap = create(organizer_client, title="Cheap", types=[{"name": "A", "price": "30.00", "capacity": 5}, {"name": "B", "price": "4.00", "capacity": 5}], publish=True)
    dear = create(organizer_client, title="Dear", types=[{"name": "A", "price": "50.00", "capacity": 5}], publish=True)
    middle = create(organizer_client, title="Middle", types=[{"name": "A", "price": "20.00", "capacity": 5}, {"name": "B", "price": "90.00", "capacity": 5}], publish=True)
    ids = lambda query: [e["id"] for e in api.get(f"/events?{query}").json()["results"]]  # noqa: E731
    assert ids("sort=price") == [cheap["id"], middle["id"], dear["id"]]
    assert ids("sort=-price") == [dear["id"], middle["id"], cheap["id"]]
    assert ids("max_price=20&sort=price") == [cheap["id"], middle["id"]]
    assert ids("max_price=3.99") == []
    assert api.get("/events?max_price=cheap").status_code == 400
    assert api.get("/events?max_price=-1").status_code == 400


def test_the_mine_list_breaks_sales_down_per_type(organizer_client):
    event = create(organizer_client, types=THREE, publish=True)
    sell(event["id"], 3, price_cents=6000, type_index=2)
    [mine] = organizer_client.get("/events/me").json()["results"]
    assert [(t["name"], t["tickets_sold"], t["revenue"]) for t in mine["types"]] == [
        ("Early bird", 0, "0.00"), ("Standard", 0, "0.00"), ("VIP", 3, "180.00")
    ]


def test_one_type_under_a_quota_price_edits_the_type_and_capacity_the_quota(organizer_client):
    event = create(organizer_client, types=THREE[:1], capacity=60)
    response = edit(organizer_client, event["id"], {"price": "11.00", "capacity": 70})
    assert response.status_code == 200, response.content
    after = response.json()
    assert (after["types"][0]["price"], after["types"][0]["capacity"], after["quota"], after["capacity"]) == ("11.00", 100, 70, 70)
