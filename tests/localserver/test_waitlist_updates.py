"""The query and update forms the waiting list uses (waitlist/services.py), checked on the
database server: a line entry found by $elemMatch while another $elemMatch (with an $or)
checks the type's seats, and one update that changes an element of two arrays through two
arrayFilters identifiers while it pushes to a third."""

from pymongo import ReturnDocument

TYPES = [{"id": "TT-1", "seats_available": 0, "seats_held": 0, "waitlist_waiting": 1}]
LINE = [
    {"id": "WL-1", "customer_id": "c1", "type": "TT-1", "qty": 2, "state": "WAITING", "hold": None},
    {"id": "WL-2", "customer_id": "c2", "type": "TT-1", "qty": 1, "state": "LEFT", "hold": None},
]


def event(**overrides):
    return {"_id": 1, "seats_available": 0, "seats_held": 0, "types": TYPES, "waitlist": LINE, "holds": [], **overrides}


def join_filter(customer_id, qty):
    """Join's filter: nobody's active entry for this customer; the type short of seats or with a line."""
    return {
        "_id": 1,
        "waitlist": {"$not": {"$elemMatch": {"customer_id": customer_id, "state": {"$in": ["WAITING", "OFFERED"]}}}},
        "types": {"$elemMatch": {"id": "TT-1", "$or": [{"seats_available": {"$lt": qty}}, {"waitlist_waiting": {"$gt": 0}}]}},
    }


def test_not_elem_match_refuses_a_customer_already_in_line(coll):
    coll.insert_one(event())
    assert coll.find_one(join_filter("c1", 1)) is None
    # c2 left: their old entry does not count.
    assert coll.find_one(join_filter("c2", 1)) is not None


def test_or_inside_elem_match_holds_when_either_branch_does(coll):
    coll.insert_one(event(types=[{**TYPES[0], "seats_available": 5, "waitlist_waiting": 0}]))
    assert coll.find_one(join_filter("c3", 2)) is None
    assert coll.find_one(join_filter("c3", 6)) is not None
    coll.update_one({"_id": 1}, {"$set": {"types.0.waitlist_waiting": 1}})
    assert coll.find_one(join_filter("c3", 2)) is not None


def test_one_update_changes_an_entry_and_a_type_and_pushes_a_hold(coll):
    coll.insert_one(event(seats_available=3, types=[{**TYPES[0], "seats_available": 3}]))
    query = {
        "_id": 1,
        "seats_available": {"$gte": 2},
        "waitlist": {"$elemMatch": {"id": "WL-1", "state": "WAITING"}},
        "types": {"$elemMatch": {"id": "TT-1", "seats_available": {"$gte": 2}}},
    }
    update = {
        "$set": {"waitlist.$[w].state": "OFFERED", "waitlist.$[w].hold": "HLD-1"},
        "$inc": {"seats_available": -2, "seats_held": 2, "types.$[t].seats_available": -2,
                 "types.$[t].seats_held": 2, "types.$[t].waitlist_waiting": -1},
        "$push": {"holds": {"id": "HLD-1", "qty": 2, "entry": "WL-1"}},
    }
    filters = [{"t.id": "TT-1"}, {"w.id": "WL-1"}]
    after = coll.find_one_and_update(query, update, array_filters=filters, return_document=ReturnDocument.AFTER)
    assert after["waitlist"][0] == {**LINE[0], "state": "OFFERED", "hold": "HLD-1"}
    assert after["waitlist"][1] == LINE[1]
    assert after["types"] == [{"id": "TT-1", "seats_available": 1, "seats_held": 2, "waitlist_waiting": 0}]
    assert (after["seats_available"], after["seats_held"], after["holds"]) == (1, 2, [{"id": "HLD-1", "qty": 2, "entry": "WL-1"}])
    # Again: the entry is no longer WAITING, so nothing matches and nothing changes.
    assert coll.find_one_and_update(query, update, array_filters=filters) is None
    assert coll.find_one({"_id": 1}) == {k: v for k, v in after.items()}


def test_pull_from_two_arrays_in_one_update(coll):
    coll.insert_one(event(holds=[{"id": "HLD-1", "entry": "WL-1"}]))
    done = coll.update_one(
        {"_id": 1, "holds": {"$elemMatch": {"id": "HLD-1", "entry": "WL-1"}}},
        {"$pull": {"holds": {"id": "HLD-1"}, "waitlist": {"id": "WL-1"}}},
    )
    assert done.modified_count == 1
    doc = coll.find_one({"_id": 1})
    assert (doc["holds"], doc["waitlist"]) == ([], [LINE[1]])
