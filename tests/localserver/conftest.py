"""Scratch collections in the test database, for checking the database server's own
behaviour through PyMongo: the local MongoDB-compatible server as patched in
devtools/mongo-server/patches, or MongoDB itself when MONGODB_URI is set. Every
expected value is what the MongoDB manual documents."""

import uuid

import pytest
from django.db import connection


@pytest.fixture
def scratch():
    """A function giving empty collections that are dropped after the test."""
    made = []

    def make():
        made.append(connection.database[f"scratch_{uuid.uuid4().hex[:12]}"])
        return made[-1]

    yield make
    for coll in made:
        coll.drop()


@pytest.fixture
def coll(scratch):
    return scratch()


@pytest.fixture
def value_of(coll):
    """value_of(expression, **fields): the expression's value on a document holding `fields`
    (the key "absent" when the expression yields missing)."""

    def evaluate(expression, **fields):
        coll.delete_many({})
        coll.insert_one({"_id": 1, **fields})
        (row,) = coll.aggregate([{"$project": {"_id": 0, "v": expression}}])
        return row.get("v", "absent")

    return evaluate
