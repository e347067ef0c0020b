"""What the h2 store writes reads back the same: documents of every BSON type, their ids and the
unique indexes' keys, through a SIGKILL and a restart; and a store written in the library's own
form (Java serialization, `--format java`) opens with the default form (BSON) and the other way
round, with every document, order and unique index as it was."""

import datetime
import subprocess
import uuid

import bson
import pytest
from bson import Binary, Code, Decimal128, Int64, MaxKey, MinKey, ObjectId, Regex, Timestamp
from bson.binary import UuidRepresentation
from bson.codec_options import CodecOptions
from pymongo.errors import DuplicateKeyError

from tests.localserver.test_durability import JAR, H2Server

CODEC = CodecOptions(uuid_representation=UuidRepresentation.STANDARD, tz_aware=True)
WHEN = datetime.datetime(2026, 12, 7, 10, 30, 15, 123000, tzinfo=datetime.UTC)


def every_type(n):
    """A document with a value of each BSON type the application or a client may store."""
    return {
        "_id": ObjectId(),
        "n": n,
        "code": f"BK-{n:04d}",
        "big": Int64(2**40 + n),
        "price": 12.5 + n,
        "nan": float("nan") if n == 0 else -0.0,
        "ok": n % 2 == 0,
        "nothing": None,
        "at": WHEN + datetime.timedelta(minutes=n),
        "money": Decimal128("1234.50"),
        "blob": Binary(bytes(range(n, n + 8))),
        "uid": uuid.UUID(int=n + 1),
        "pattern": Regex("^BK-", "i"),
        "ts": Timestamp(1_700_000_000, n),
        "low": MinKey(),
        "high": MaxKey(),
        "js": Code("function () { return 1; }"),
        "types": [{"id": "GA", "left": 10 - n, "tags": ["a", "é", ""]}, [1, [2, [3]]], "x" * 300],
        "nested": {"deeper": {"deepest": {"ids": [ObjectId(), ObjectId()], "empty": {}, "none": []}}},
        "unicode": "Café 東京 🎟",
    }


def difference(stored, expected, path="doc"):
    """Where `stored` differs from `expected` (NaN equal to NaN, key order at every level
    compared too), or None."""
    if isinstance(expected, dict):
        if not isinstance(stored, dict) or list(stored) != list(expected):
            return f"{path}: keys {list(stored) if isinstance(stored, dict) else stored!r}"
        return next(filter(None, (difference(stored[k], v, f"{path}.{k}") for k, v in expected.items())), None)
    if isinstance(expected, list):
        if not isinstance(stored, list) or len(stored) != len(expected):
            return f"{path}: {stored!r}"
        return next(filter(None, (difference(a, b, f"{path}.{i}") for i, (a, b) in enumerate(zip(stored, expected)))), None)
    if isinstance(expected, float) and expected != expected:
        return None if isinstance(stored, float) and stored != stored else f"{path}: {stored!r}"
    if type(stored) is not type(expected) or stored != expected or str(stored) != str(expected):
        return f"{path}: {stored!r} ({type(stored).__name__}), not {expected!r} ({type(expected).__name__})"
    return None


def collection(db):
    return db.get_collection("typed", codec_options=CODEC)


def write(db, numbers):
    coll = collection(db)
    coll.create_index("code", unique=True)
    coll.create_index([("n", 1), ("ok", 1)], unique=True)
    coll.create_index("big", unique=True)
    docs = [every_type(n) for n in numbers]
    for doc in docs:
        coll.insert_one(doc)
    # keys of every kind in the id index too: strings, integers, a compound id
    db.ids.insert_many([{"_id": f"s-{n}"} for n in numbers] + [{"_id": n} for n in numbers]
                       + [{"_id": {"event": "EVT-0001", "n": n}} for n in numbers])
    return docs


def check(db, docs):
    coll = collection(db)
    stored = {doc["_id"]: doc for doc in coll.find()}
    assert len(stored) == len(docs)
    for doc in docs:
        # as a client reads back what it wrote from MongoDB (bytes for generic binary, ...)
        assert difference(stored[doc["_id"]], bson.decode(bson.encode(doc, codec_options=CODEC), codec_options=CODEC)) is None
    # ids in order, and every unique index still answers and still refuses a duplicate
    assert [d["_id"] for d in coll.find({}, {"_id": 1}).sort("_id", 1)] == sorted(d["_id"] for d in docs)
    for doc in docs:
        assert coll.find_one({"code": doc["code"]})["_id"] == doc["_id"]
        assert coll.find_one({"n": doc["n"], "ok": doc["ok"]})["_id"] == doc["_id"]
        assert coll.find_one({"big": doc["big"]})["_id"] == doc["_id"]
        assert coll.find_one({"_id": doc["_id"]})["code"] == doc["code"]
        with pytest.raises(DuplicateKeyError):
            coll.insert_one({"code": doc["code"]})
        assert db.ids.find_one({"_id": f"s-{doc['n']}"}) is not None
        assert db.ids.find_one({"_id": doc["n"]}) is not None
        assert db.ids.find_one({"_id": {"event": "EVT-0001", "n": doc["n"]}}) is not None
    assert db.ids.count_documents({}) == 3 * len(docs)


def test_every_type_reads_back_the_same_after_a_kill(tmp_path):
    server = H2Server(tmp_path)
    try:
        db = server.start()
        docs = write(db, range(20))
        collection(db).update_one({"n": 3}, {"$set": {"types.0.left": 99, "at": WHEN}, "$push": {"types.0.tags": "z"}})
        docs[3]["types"][0]["left"] = 99
        docs[3]["types"][0]["tags"].append("z")
        docs[3]["at"] = WHEN
        server.kill()
        db = server.start()
        check(db, docs)
    finally:
        server.stop()


@pytest.mark.parametrize("first, then", [("java", "bson"), ("bson", "java")])
def test_a_store_opens_in_the_other_form(tmp_path, first, then):
    server = H2Server(tmp_path, "--format", first)
    try:
        db = server.start()
        docs = write(db, range(30))
        server.stop()
        server.options = ("--format", then)
        db = server.start()
        check(db, docs)
        # pages written again in the other form, beside those still in the first
        docs[5:10] = [collection(db).find_one_and_update(
            {"_id": doc["_id"]}, {"$set": {"price": 1.5}}, return_document=True) for doc in docs[5:10]]
        more = [every_type(n) for n in range(30, 40)]
        for doc in more:
            collection(db).insert_one(doc)
        db.ids.insert_many([{"_id": f"s-{n}"} for n in range(30, 40)] + [{"_id": n} for n in range(30, 40)]
                           + [{"_id": {"event": "EVT-0001", "n": n}} for n in range(30, 40)])
        server.kill()
        server.options = ("--format", first)
        db = server.start()
        check(db, docs + more)
    finally:
        server.stop()


def test_an_unknown_format_is_refused(tmp_path):
    run = subprocess.run(["java", "-jar", str(JAR), "--port", "0", "--backend", "h2", "--data", str(tmp_path),
                          "--format", "xml"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "unknown format: xml" in run.stderr


@pytest.mark.parametrize("form", ["bson", "java"])
def test_documents_ids_and_keys_are_written_in_the_form_asked(tmp_path, form):
    # Java serialization names the library's classes in the file; BSON does not.
    server = H2Server(tmp_path, "--format", form)
    try:
        db = server.start()
        coll = collection(db)
        coll.create_index("code", unique=True)
        for n in range(50):
            coll.insert_one(every_type(n))
        server.stop()
        stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
        assert (b"de.bwaldvogel.mongo" in stored) is (form == "java")
        assert stored.count(b"BK-0049") >= 1
    finally:
        server.stop()
