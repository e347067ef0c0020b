def test_create_publish_get_cancel(organizer_client, customer_client, api):
    r = organizer_client.post("/events", {"title": "Jazz", "city": "Lyon", "venue": "Hall", "tags": ["jazz"], "starts_at": "2031-01-01T20:00:00Z", "price": "12.50", "capacity": 5}, format="json")
    assert r.status_code == 201, r.content
    eid = r.json()["id"]
    assert eid == "EVT-0001"
    assert api.get(f"/events/{eid}").status_code == 404
    r = organizer_client.post(f"/events/{eid}/publish")
    assert r.status_code == 200, r.content
    r = api.get(f"/events/{eid}")
    assert r.json()["status"] == "PUBLISHED" and r.json()["price"] == "12.50"
    assert organizer_client.patch(f"/events/{eid}", {"price": "15.00"}, format="json").status_code == 200
    assert api.get(f"/events/{eid}").json()["price"] == "15.00"
    assert customer_client.post(f"/events/{eid}/cancel").status_code == 403
    r = organizer_client.post(f"/events/{eid}/cancel", {"reason": "rain"}, format="json")
    assert r.status_code == 200, r.content
    assert api.get(f"/events/{eid}").json()["status"] == "CANCELLED"
    assert organizer_client.post(f"/events/{eid}/cancel").status_code == 409
