"""Updates given as an aggregation pipeline (MongoDB 4.2+), in update and findAndModify.

Manual: "Updates with Aggregation Pipeline" and db.collection.updateMany(): the stages
allowed are $addFields/$set, $project/$unset, $replaceRoot/$replaceWith; _id is immutable."""

import pytest
from pymongo import ReturnDocument
from pymongo.errors import WriteError


def test_set_stage_with_a_literal_document_replaces_the_embedded_document(coll):
    coll.insert_one({"_id": 1, "address": {"city": "Lyon", "zip": "69001"}})
    coll.update_one({"_id": 1}, [{"$set": {"address": {"$literal": {"city": "Paris"}}}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "address": {"city": "Paris"}}


def test_set_stage_with_an_embedded_spec_merges_into_the_embedded_document(coll):
    coll.insert_one({"_id": 1, "address": {"city": "Lyon", "zip": "69001"}})
    coll.update_one({"_id": 1}, [{"$set": {"address": {"city": "Paris"}}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "address": {"city": "Paris", "zip": "69001"}}


def test_a_literal_value_is_not_read_as_a_field_path(coll):
    coll.insert_one({"_id": 1, "price": 5})
    coll.update_one({"_id": 1}, [{"$set": {"label": {"$literal": "$price"}, "doc": {"$literal": {"k": "$price"}}}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "price": 5, "label": "$price", "doc": {"k": "$price"}}


def test_a_string_of_the_data_that_looks_like_a_path_is_copied_as_it_is(coll):
    coll.insert_one({"_id": 1, "note": "$price", "price": 5})
    coll.update_one({"_id": 1}, [{"$set": {"copy": {"a": "$note"}}}])
    assert coll.find_one({"_id": 1})["copy"] == {"a": "$price"}


def test_expressions_of_one_stage_read_the_document_as_it_was_before_that_stage(coll):
    coll.insert_one({"_id": 1, "a": 1})
    coll.update_one({"_id": 1}, [{"$set": {"a": 10, "b": "$a"}}, {"$set": {"c": "$a"}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 10, "b": 1, "c": 10}


def test_update_many_with_a_pipeline_computes_from_each_document(coll):
    coll.insert_many([{"_id": i, "qty": i, "price": 10} for i in (1, 2, 3)])
    result = coll.update_many({"qty": {"$gte": 2}}, [{"$set": {"total": {"$multiply": ["$qty", "$price"]}}}])
    assert (result.matched_count, result.modified_count) == (2, 2)
    assert [d.get("total") for d in coll.find({}, sort=[("_id", 1)])] == [None, 20, 30]


def test_unset_project_replace_with_and_replace_root_stages(coll):
    coll.insert_one({"_id": 1, "a": 1, "b": 2, "c": {"d": 4}})
    coll.update_one({"_id": 1}, [{"$unset": "b"}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1, "c": {"d": 4}}
    coll.update_one({"_id": 1}, [{"$project": {"a": 1}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1}
    coll.update_one({"_id": 1}, [{"$replaceWith": {"_id": "$_id", "z": {"$add": ["$a", 1]}}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "z": 2}
    coll.update_one({"_id": 1}, [{"$replaceRoot": {"newRoot": {"_id": "$_id", "y": "$z"}}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "y": 2}


def test_a_replacement_without_id_keeps_the_id(coll):
    coll.insert_one({"_id": 1, "a": 1})
    coll.update_one({"_id": 1}, [{"$replaceWith": {"b": 2}}])
    assert coll.find_one({"_id": 1}) == {"_id": 1, "b": 2}


def test_match_is_refused_inside_an_update_pipeline(coll):
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(WriteError) as refused:
        coll.update_one({"_id": 1}, [{"$match": {"a": 1}}, {"$set": {"a": 2}}])
    assert refused.value.code == 72  # InvalidOptions: "$match is not allowed to be used within an update"
    assert "$match is not allowed to be used within an update" in str(refused.value)
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1}


def test_changing_the_id_is_refused(coll):
    coll.insert_one({"_id": 1, "a": 1})
    with pytest.raises(WriteError) as refused:
        coll.update_one({"_id": 1}, [{"$set": {"_id": 2}}])
    assert refused.value.code == 66  # ImmutableField
    assert coll.find_one({"_id": 1}) == {"_id": 1, "a": 1} and coll.find_one({"_id": 2}) is None


def test_find_one_and_update_with_a_pipeline_returns_the_before_or_after_image(coll):
    coll.insert_one({"_id": 1, "n": 1})
    before = coll.find_one_and_update({"_id": 1}, [{"$set": {"n": {"$add": ["$n", 1]}}}])
    after = coll.find_one_and_update({"_id": 1}, [{"$set": {"n": {"$add": ["$n", 1]}}}], return_document=ReturnDocument.AFTER)
    assert (before, after) == ({"_id": 1, "n": 1}, {"_id": 1, "n": 3})


def test_an_upsert_with_a_pipeline_inserts_the_query_equalities_run_through_the_stages(coll):
    result = coll.update_one({"_id": 7, "kind": "x"}, [{"$set": {"label": {"$concat": ["$kind", "-new"]}}}], upsert=True)
    assert result.upserted_id == 7
    assert coll.find_one({"_id": 7}) == {"_id": 7, "kind": "x", "label": "x-new"}
