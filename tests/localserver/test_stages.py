"""Aggregation stages and $expr as MongoDB documents them: $set, $replaceWith, $addFields,
$lookup with localField/foreignField and a pipeline, $lookup let variables, $expr."""


def test_set_stage_is_add_fields(coll):
    coll.insert_one({"_id": 1, "a": 2})
    assert list(coll.aggregate([{"$set": {"b": {"$add": ["$a", 1]}}}])) == [{"_id": 1, "a": 2, "b": 3}]


def test_replace_with_promotes_an_embedded_document(coll):
    coll.insert_one({"_id": 1, "inner": {"x": 1}})
    assert list(coll.aggregate([{"$replaceWith": "$inner"}])) == [{"x": 1}]


def test_add_fields_merges_only_a_literal_embedded_spec(coll):
    coll.insert_one({"_id": 1, "sub": {"a": 1, "b": 2}, "other": {"c": 3}})
    merged, replaced = (
        list(coll.aggregate([{"$addFields": {"sub": spec}}, {"$project": {"_id": 0, "sub": 1}}]))[0]["sub"]
        for spec in ({"b": 20}, "$other")
    )
    assert merged == {"a": 1, "b": 20}
    assert replaced == {"c": 3}


def test_add_fields_embedded_spec_applies_to_each_document_of_an_array(coll):
    # Manual, $addFields "Adding Fields to an Embedded Document" extends to arrays of documents
    # as for dotted paths; only a real mongod can settle what non-document elements become.
    coll.insert_one({"_id": 1, "items": [{"q": 1}, {"q": 2}]})
    (row,) = coll.aggregate([{"$addFields": {"items": {"seen": True}}}])
    assert row["items"] == [{"q": 1, "seen": True}, {"q": 2, "seen": True}]


def test_lookup_with_local_field_foreign_field_and_pipeline(scratch):
    orders, items = scratch(), scratch()
    orders.insert_many([{"_id": 1, "sku": "a"}, {"_id": 2, "sku": ["a", "b"]}, {"_id": 3}])
    items.insert_many([
        {"_id": 10, "sku": "a", "qty": 5}, {"_id": 11, "sku": "a", "qty": 0},
        {"_id": 12, "sku": "b", "qty": 7}, {"_id": 13, "qty": 1}, {"_id": 14, "sku": None, "qty": 2},
    ])
    rows = orders.aggregate([
        {"$lookup": {"from": items.name, "localField": "sku", "foreignField": "sku", "as": "stock",
                     "pipeline": [{"$match": {"qty": {"$gt": 0}}}, {"$project": {"_id": 1}}]}},
        {"$sort": {"_id": 1}},
    ])
    stock = {row["_id"]: sorted(doc["_id"] for doc in row["stock"]) for row in rows}
    # equality first (an array matches any element; a missing localField matches null and
    # missing foreignField), then the pipeline on the matches
    assert stock == {1: [10], 2: [10, 12], 3: [13, 14]}


def test_lookup_let_variable_bound_to_a_missing_field_is_missing(scratch):
    left, right = scratch(), scratch()
    left.insert_one({"_id": 1})
    right.insert_many([{"_id": 1, "v": None}, {"_id": 2}])
    (row,) = left.aggregate([{"$lookup": {
        "from": right.name, "let": {"m": "$nope"}, "as": "joined",
        "pipeline": [{"$project": {"kind": {"$type": "$$m"}}}, {"$sort": {"_id": 1}}],
    }}])
    assert row["joined"] == [{"_id": 1, "kind": "missing"}, {"_id": 2, "kind": "missing"}]


def test_lookup_let_variables_filter_the_foreign_documents(scratch):
    left, right = scratch(), scratch()
    left.insert_one({"_id": 1, "city": "Lyon"})
    right.insert_many([{"_id": 1, "city": "Lyon"}, {"_id": 2, "city": "Paris"}])
    (row,) = left.aggregate([{"$lookup": {
        "from": right.name, "let": {"c": "$city"}, "as": "same",
        "pipeline": [{"$match": {"$expr": {"$eq": ["$city", "$$c"]}}}],
    }}])
    assert [doc["_id"] for doc in row["same"]] == [1]


def test_expr_takes_any_aggregation_expression_at_the_top(coll):
    coll.insert_many([{"_id": 1, "name": "Jazz Night"}, {"_id": 2, "name": "Rock"}, {"_id": 3}])
    found = coll.find({"$expr": {"$regexMatch": {"input": "$name", "regex": "jazz", "options": "i"}}})
    assert [doc["_id"] for doc in found] == [1]
    typed = coll.find({"$expr": {"$eq": [{"$type": "$name"}, "missing"]}})
    assert [doc["_id"] for doc in typed] == [3]
    let = coll.find({"$expr": {"$let": {"vars": {"n": "$name"}, "in": {"$eq": ["$$n", "Rock"]}}}})
    assert [doc["_id"] for doc in let] == [2]
