"""The update forms the ticket-type reservation uses on an array of embedded documents
(bookings/services/reserve.py, markers.py). Manual: "$[<identifier>]" (arrayFilters),
"$elemMatch (query)"; a findAndModify that matches nothing changes nothing.

arrayFilters, not the positional `$`: the patched local server (mongo-java-server
1.47) does not record the element an `$elemMatch` matched ("The positional operator
did not find the match needed from the query"), and resolves `$` for one field of
an update only; arrayFilters name the element by its id, in one update, on both."""

from pymongo import ReturnDocument

TYPES = [
    {"id": "TT-0001", "seats_available": 1, "tickets_sold": 9},
    {"id": "TT-0002", "seats_available": 5, "tickets_sold": 0},
]


def reserve(coll, type_id, qty):
    """The reservation's form: $elemMatch on the type's id and seats, the event's seats,
    $[t] with arrayFilters on the type's id in $inc, a marker pushed; the document after, or None."""
    return coll.find_one_and_update(
        {"_id": 1, "seats_available": {"$gte": qty}, "types": {"$elemMatch": {"id": type_id, "seats_available": {"$gte": qty}}}},
        {
            "$inc": {"seats_available": -qty, "types.$[t].seats_available": -qty, "types.$[t].tickets_sold": qty},
            "$push": {"pending": {"booking": "BK-1", "type": type_id, "qty": qty}},
        },
        array_filters=[{"t.id": type_id}],
        return_document=ReturnDocument.AFTER,
    )


def test_array_filters_change_the_element_the_elem_match_found(coll):
    coll.insert_one({"_id": 1, "seats_available": 6, "types": TYPES, "pending": []})
    after = reserve(coll, "TT-0002", 2)
    assert after["seats_available"] == 4
    assert after["types"] == [TYPES[0], {"id": "TT-0002", "seats_available": 3, "tickets_sold": 2}]
    assert after["pending"] == [{"booking": "BK-1", "type": "TT-0002", "qty": 2}]


def test_the_type_short_of_seats_matches_nothing_and_changes_nothing(coll):
    coll.insert_one({"_id": 1, "seats_available": 6, "types": TYPES, "pending": []})
    # TT-0002 has 5 seats, but the elemMatch needs one element holding both conditions.
    assert reserve(coll, "TT-0001", 2) is None
    assert coll.find_one({"_id": 1}) == {"_id": 1, "seats_available": 6, "types": TYPES, "pending": []}


def test_the_event_short_of_seats_matches_nothing_even_when_the_type_has_them(coll):
    coll.insert_one({"_id": 1, "seats_available": 1, "types": TYPES, "pending": []})
    assert reserve(coll, "TT-0002", 2) is None
    assert coll.find_one({"_id": 1})["types"] == TYPES


def test_array_filters_change_the_named_element_when_the_query_matched_another_array(coll):
    """The give-back's form: the query matches a marker in `pending`, the update names the
    type through arrayFilters (a positional $ would be ambiguous with two arrays)."""
    coll.insert_one({"_id": 1, "seats_available": 4, "types": TYPES, "pending": [{"booking": "BK-1", "type": "TT-0002", "qty": 2}]})
    result = coll.update_one(
        {"_id": 1, "pending": {"$elemMatch": {"booking": "BK-1"}}},
        {
            "$inc": {"seats_available": 2, "types.$[t].seats_available": 2, "types.$[t].tickets_sold": -2},
            "$pull": {"pending": {"booking": "BK-1"}},
        },
        array_filters=[{"t.id": "TT-0002"}],
    )
    assert result.modified_count == 1
    doc = coll.find_one({"_id": 1})
    assert doc["seats_available"] == 6 and doc["pending"] == []
    assert doc["types"] == [TYPES[0], {"id": "TT-0002", "seats_available": 7, "tickets_sold": -2}]
    # Once pulled, the same update matches nothing: the seats come back once.
    again = coll.update_one(
        {"_id": 1, "pending": {"$elemMatch": {"booking": "BK-1"}}},
        {"$inc": {"types.$[t].seats_available": 2}, "$pull": {"pending": {"booking": "BK-1"}}},
        array_filters=[{"t.id": "TT-0002"}],
    )
    assert again.matched_count == 0


def test_elem_match_with_null_matches_an_element_whose_field_is_null(coll):
    """The reservation requires the sale window as read; none is null."""
    coll.insert_one({"_id": 1, "types": [{"id": "A", "sales_end": None}, {"id": "B", "sales_end": 5}]})
    assert coll.count_documents({"types": {"$elemMatch": {"id": "A", "sales_end": None}}}) == 1
    assert coll.count_documents({"types": {"$elemMatch": {"id": "B", "sales_end": None}}}) == 0
    assert coll.count_documents({"types": {"$elemMatch": {"id": "B", "sales_end": 5}}}) == 1


def test_a_whole_array_equal_to_the_one_read_is_a_match_and_a_changed_one_is_not(coll):
    """The optimistic edit of types: the filter holds the array as it was read."""
    coll.insert_one({"_id": 1, "types": TYPES})
    assert coll.count_documents({"_id": 1, "types": TYPES}) == 1
    coll.update_one({"_id": 1, "types.id": "TT-0001"}, {"$inc": {"types.$.seats_available": -1}})
    assert coll.count_documents({"_id": 1, "types": TYPES}) == 0
    # A missing field equals null: how the migration finds events without types.
    coll.insert_one({"_id": 2})
    assert [doc["_id"] for doc in coll.find({"types": None})] == [2]
