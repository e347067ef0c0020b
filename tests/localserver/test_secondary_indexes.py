"""Non-unique and compound indexes on the local server (SecondaryIndex, IndexPlan): a query an
index serves answers exactly what a scan answers (same documents, same order), through inserts,
updates that move documents in and out of a range, replaces, deletes and a restart of the h2
store; and it reads only its candidates, which `explain` shows as MongoDB does (an IXSCAN plan,
executionStats.totalDocsExamined).

The oracle is a twin collection without the indexes, given every write: its answers are a scan's."""

import random
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import PyMongoError

from tests.localserver.test_durability import H2Server

INDEXES = [
    ([("ev", ASCENDING), ("st", ASCENDING), ("seq", ASCENDING)], "line"),
    ([("cust", ASCENDING), ("at", DESCENDING)], "customer"),
    ([("st", ASCENDING), ("seq", DESCENDING)], "state_seq"),
    ([("tags", ASCENDING)], "tags"),
]
EVENTS, STATES = ["E0", "E1", "E2"], ["WAITING", "OFFERED", "BOOKED"]
T0 = datetime(2026, 1, 1)


def seq_value(rng):
    """Mostly integers; now and then what a range must not mix up: a float, a string, null, missing."""
    roll = rng.random()
    if roll < 0.8:
        return rng.randrange(40)
    if roll < 0.87:
        return rng.randrange(40) + 0.5
    if roll < 0.92:
        return str(rng.randrange(40))
    if roll < 0.96:
        return None
    return "absent"


def random_doc(rng, number):
    doc = {"_id": f"D-{number:05d}", "ev": rng.choice(EVENTS), "st": rng.choice(STATES),
           "cust": rng.randrange(12), "at": T0 + timedelta(minutes=rng.randrange(500))}
    seq = seq_value(rng)
    if seq != "absent":
        doc["seq"] = seq
    if rng.random() < 0.3:
        doc["tags"] = rng.sample(["a", "b", "c", "d"], rng.randrange(0, 3))
    return doc


def random_query(rng):
    ev, st, seq, cust = rng.choice(EVENTS), rng.choice(STATES), rng.randrange(40), rng.randrange(12)
    forms = [
        {"ev": ev},
        {"ev": ev, "st": st},
        {"ev": ev, "st": st, "seq": {rng.choice(["$lt", "$lte", "$gt", "$gte"]): seq}},
        {"ev": ev, "st": st, "seq": {"$gte": seq, "$lt": seq + 7}},
        {"ev": {"$in": [ev, rng.choice(EVENTS)]}, "st": st},
        {"ev": ev, "st": {"$in": STATES[:2]}, "seq": {"$lte": seq}},
        {"ev": ev, "st": st, "$or": [{"seq": {"$lt": seq}}, {"seq": seq, "_id": {"$lt": f"D-{rng.randrange(400):05d}"}}]},
        {"st": st, "seq": {"$gt": seq}},
        {"st": st, "seq": {"$lt": str(seq)}},
        {"cust": cust, "st": {"$nin": ["BOOKED"]}},
        {"cust": cust, "at": {"$lte": T0 + timedelta(minutes=rng.randrange(500))}},
        {"tags": rng.choice("abcd")},
        {"tags": {"$in": ["a", "d"]}, "ev": ev},
        {"_id": f"D-{rng.randrange(400):05d}", "st": st},
        {"ev": ev, "st": st, "seq": {"$ne": seq}},
        {"ev": ev, "seq": None},
        {"$or": [{"ev": ev, "st": st}, {"cust": cust}]},
        {"$or": [{"ev": ev}, {"seq": seq}]},
    ]
    return rng.choice(forms)


SORTS = [None, [("seq", ASCENDING)], [("seq", ASCENDING), ("_id", ASCENDING)], [("seq", DESCENDING)],
         [("at", DESCENDING)], [("_id", DESCENDING)]]


def answers(coll, query, sort, limit):
    return list(coll.find(query, sort=sort, limit=limit)), coll.count_documents(query)


def assert_same(indexed, twin, rng, rounds):
    for _ in range(rounds):
        query, sort, limit = random_query(rng), rng.choice(SORTS), rng.choice([0, 0, 1, 3])
        got, expected = answers(indexed, query, sort, limit), answers(twin, query, sort, limit)
        assert got == expected, (query, sort, limit)


def each(colls, write):
    """The same write on every collection: the same outcome (a refused write is refused by each)."""
    outcomes = []
    for coll in colls:
        try:
            result = write(coll)
            outcomes.append(getattr(result, "modified_count", getattr(result, "deleted_count", None)))
        except PyMongoError as error:
            outcomes.append(type(error).__name__)
    assert len(set(outcomes)) == 1, outcomes


def random_write(rng, colls, number):
    roll = rng.random()
    target = {"_id": f"D-{rng.randrange(number):05d}"}
    if roll < 0.35:
        doc = random_doc(rng, number)
        each(colls, lambda coll: coll.insert_one(dict(doc)))
        return number + 1
    if roll < 0.55:  # moves a document in or out of a line, or along it
        change = rng.choice([{"$set": {"st": rng.choice(STATES)}}, {"$set": {"seq": rng.randrange(40)}},
                             {"$unset": {"seq": ""}}, {"$set": {"ev": rng.choice(EVENTS), "seq": seq_value(rng)}},
                             {"$set": {"tags": ["a", "c"]}}, {"$inc": {"seq": 3}}])
        each(colls, lambda coll: coll.update_one(target, change))
    elif roll < 0.65:
        query, change = {"ev": rng.choice(EVENTS), "st": rng.choice(STATES)}, {"$set": {"st": rng.choice(STATES)}}
        each(colls, lambda coll: coll.update_many(query, change))
    elif roll < 0.75:
        doc = random_doc(rng, 0)
        del doc["_id"]
        each(colls, lambda coll: coll.replace_one(target, dict(doc)))
    elif roll < 0.9:
        each(colls, lambda coll: coll.delete_one(target))
    else:
        query = {"ev": rng.choice(EVENTS), "seq": {"$lt": rng.randrange(10)}}
        each(colls, lambda coll: coll.delete_many(query))
    return number


def indexed_pair(scratch):
    indexed, twin = scratch(), scratch()
    for keys, name in INDEXES:
        indexed.create_index(keys, name=name)
    return indexed, twin


def test_answers_equal_a_scan_through_writes(scratch):
    rng = random.Random(20)
    indexed, twin = indexed_pair(scratch)
    docs = [random_doc(rng, n) for n in range(300)]
    indexed.insert_many([dict(d) for d in docs])
    twin.insert_many([dict(d) for d in docs])
    assert_same(indexed, twin, rng, 150)
    number = len(docs)
    for _ in range(6):
        for _ in range(60):
            number = random_write(rng, [indexed, twin], number)
        assert_same(indexed, twin, rng, 60)


def test_index_added_to_existing_documents_answers_the_same(scratch):
    rng = random.Random(7)
    indexed, twin = scratch(), scratch()
    docs = [random_doc(rng, n) for n in range(200)]
    indexed.insert_many([dict(d) for d in docs])
    twin.insert_many([dict(d) for d in docs])
    for keys, name in INDEXES:
        indexed.create_index(keys, name=name)
    assert_same(indexed, twin, rng, 80)
    indexed.drop_index("line")
    assert_same(indexed, twin, rng, 40)


def explain(coll, query, sort=None, limit=0):
    command = {"find": coll.name, "filter": query}
    if sort:
        command["sort"] = dict(sort)
    if limit:
        command["limit"] = limit
    return coll.database.command("explain", command, verbosity="executionStats")


def index_used(plan):
    """The index name of a plan's IXSCAN stage, anywhere in the tree, or None."""
    if isinstance(plan, dict):
        if plan.get("stage") == "IXSCAN":
            return plan.get("indexName")
        for value in plan.values():
            found = index_used(value)
            if found:
                return found
    if isinstance(plan, list):
        for value in plan:
            found = index_used(value)
            if found:
                return found
    return None


def line(scratch, size):
    """A line of `size` entries of event E1 (half WAITING), among as many entries of another event."""
    coll = scratch()
    coll.create_index([("ev", ASCENDING), ("st", ASCENDING), ("seq", ASCENDING)], name="line")
    coll.create_index([("cust", ASCENDING), ("at", ASCENDING)], name="customer")
    coll.insert_many([{"_id": f"D-{n:05d}", "ev": "E1" if n < size else "E2", "st": "WAITING" if n % 2 == 0 else "OFFERED",
                       "seq": n, "cust": n % 50, "at": T0 + timedelta(seconds=n)} for n in range(2 * size)])
    return coll


def test_a_served_query_reads_only_its_candidates(scratch):
    coll = line(scratch, 1000)
    waiting = {"ev": "E1", "st": "WAITING"}

    found = explain(coll, waiting)
    assert index_used(found["queryPlanner"]["winningPlan"]) == "line"
    assert found["executionStats"]["nReturned"] == 500
    assert found["executionStats"]["totalDocsExamined"] == 500  # not the 2,000 in the collection

    # The first entries in line order: the read stops at the limit.
    first = explain(coll, waiting, sort=[("seq", ASCENDING)], limit=3)
    assert first["executionStats"]["nReturned"] == 3
    assert first["executionStats"]["totalDocsExamined"] == 3
    assert [d["seq"] for d in coll.find(waiting).sort("seq", ASCENDING).limit(3)] == [0, 2, 4]
    assert [d["seq"] for d in coll.find(waiting).sort("seq", DESCENDING).limit(2)] == [998, 996]

    # A customer's entries; a range on the key after the equalities.
    mine = explain(coll, {"cust": 7, "st": {"$ne": "LEFT"}})
    assert index_used(mine["queryPlanner"]["winningPlan"]) == "customer"
    assert mine["executionStats"]["totalDocsExamined"] == 40
    ahead = explain(coll, {**waiting, "seq": {"$lt": 100}})
    assert ahead["executionStats"]["totalDocsExamined"] == 50

    # A field no index starts with is a scan of every document.
    scan = explain(coll, {"seq": 5})
    assert index_used(scan["queryPlanner"]["winningPlan"]) is None
    assert scan["executionStats"]["totalDocsExamined"] == 2000


def test_place_in_line_is_counted_on_the_index(scratch):
    """The waiting list's place-in-line count (waitlist/line.py position) reads no document."""
    coll = line(scratch, 1000)
    entry = coll.find_one({"_id": "D-00800"})
    ahead = {"ev": "E1", "st": "WAITING",
             "$or": [{"seq": {"$lt": entry["seq"]}}, {"seq": entry["seq"], "_id": {"$lt": entry["_id"]}}]}
    assert coll.count_documents(ahead) == 400
    counted = coll.database.command("explain", {"count": coll.name, "query": ahead}, verbosity="executionStats")
    assert counted["executionStats"]["nReturned"] == 400
    # the one entry with the same seq needs its _id checked; the 400 before it are decided by their keys
    assert counted["executionStats"]["totalDocsExamined"] <= 1


def test_multikey_index_answers_equal_a_scan(scratch):
    indexed, twin = scratch(), scratch()
    indexed.create_index([("tags", ASCENDING), ("n", ASCENDING)], name="tags")
    docs = [{"_id": n, "tags": [["a"], "b", ["b", "c"], [], "a"][n % 5], "n": n % 7} for n in range(60)]
    indexed.insert_many([dict(d) for d in docs])
    twin.insert_many([dict(d) for d in docs])
    for query in [{"tags": "a"}, {"tags": "b", "n": {"$lt": 3}}, {"tags": {"$in": ["a", "c"]}}, {"tags": "c", "n": 2}]:
        for sort in [None, [("n", ASCENDING)]]:
            assert answers(indexed, query, sort, 0) == answers(twin, query, sort, 0), (query, sort)
    assert index_used(explain(indexed, {"tags": "b"})["queryPlanner"]["winningPlan"]) == "tags"


def test_h2_store_rebuilds_its_indexes_on_restart(tmp_path):
    """`make run`'s backend: the indexes live in memory and are built again when the store opens."""
    rng = random.Random(3)
    server = H2Server(tmp_path)
    try:
        db = server.start()
        indexed, twin = db.indexed, db.twin
        for keys, name in INDEXES:
            indexed.create_index(keys, name=name)
        docs = [random_doc(rng, n) for n in range(200)]
        indexed.insert_many([dict(d) for d in docs])
        twin.insert_many([dict(d) for d in docs])
        number = len(docs)
        for _ in range(80):
            number = random_write(rng, [indexed, twin], number)
        assert_same(indexed, twin, rng, 40)

        server.kill()  # no clean shutdown: every acknowledged write is in the file, no index is
        db = server.start()
        indexed, twin = db.indexed, db.twin
        assert {i["name"] for i in indexed.list_indexes()} == {"_id_", *(name for _, name in INDEXES)}
        assert_same(indexed, twin, rng, 60)
        for _ in range(60):
            number = random_write(rng, [indexed, twin], number)
        assert_same(indexed, twin, rng, 40)
        waiting = {"ev": "E1", "st": "WAITING"}
        found = explain(indexed, waiting)
        assert index_used(found["queryPlanner"]["winningPlan"]) == "line"
        assert found["executionStats"]["totalDocsExamined"] == twin.count_documents(waiting)
    finally:
        server.stop()
