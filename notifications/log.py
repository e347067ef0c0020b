"""The notice log: every notice a user is sent, numbered per recipient.

`notice_record` appends one notice and returns its id (`seq`), which increases per
recipient by exactly one. The live fan-out, the replay on reconnect, GET /notices
and the webhooks all read these documents.

How a seq is taken, without a counter document: the insert itself takes it. The
unique index (recipient, seq) lets one insert of seq n+1 win; a loser reads the
recipient's newest seq and tries the next. Each process remembers the last seq it
wrote or read per recipient (and one lock per recipient keeps its own threads from
racing each other), so a notice costs one insert when nobody else wrote for that
recipient meanwhile. What this buys: a writer inserts n+1 only after it has seen n,
so a reader never finds n+1 without n. "Everything after X" is then complete as
soon as any later notice is visible: replay, polling and catching up after a live
notice that overtook another need no waiting for holes.

When nothing of a recipient is kept (never told anything, or everything expired),
the next seq is the current time in milliseconds (at least the last seq plus one
if this process remembers one): it is larger than any seq the recipient had, as a
recipient cannot be sent more notices than milliseconds pass. Within a run of kept
notices the seqs are dense, which is how a gap (notices expired before a client
came back) is recognised: see `notices_after`.

Retention: NOTICE_RETENTION_DAYS. Each notice carries `expires_at`; a TTL index
deletes it (migration notifications/0001); `notices_expire` does the same from the
reconciler on servers that have no TTL monitor (the local development server).
"""

import threading
import time
from collections import OrderedDict
from datetime import timedelta

from django.conf import settings
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.mongo import collection
from shared.output import when
from shared.timeutil import now

REMEMBER_MAX = 10_000  # recipients whose last seq a process keeps
TRIES = 50


def notices():
    return collection("notices")


class _Heads:
    """Per recipient: the last seq this process wrote or read, and a lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._heads = OrderedDict()  # recipient -> [lock, last seq or None]

    def entry(self, recipient):
        with self._lock:
            entry = self._heads.get(recipient)
            if entry is None:
                entry = self._heads[recipient] = [threading.Lock(), None]
                while len(self._heads) > REMEMBER_MAX:
                    self._heads.popitem(last=False)
            else:
                self._heads.move_to_end(recipient)
            return entry

    def forget(self):
        with self._lock:
            self._heads.clear()


heads = _Heads()


def notice_head(recipient):
    """The newest seq kept for `recipient`, or None."""
    newest = notices().find_one({"recipient": recipient}, {"seq": 1, "_id": 0}, sort=[("seq", DESCENDING)])
    return None if newest is None else newest["seq"]


def notice_record(*, recipient, kind, data, key=None):
    """Append a notice for `recipient`; returns the document recorded, or None when a
    notice with the same `key` is already there (recorded once, whoever comes first)."""
    recipient = str(recipient)
    created = now()
    entry = heads.entry(recipient)
    with entry[0]:
        last = entry[1]
        for _ in range(TRIES):
            if last is None:
                last = notice_head(recipient)
                if last is None:
                    last = int(time.time() * 1000) - 1
            seq = last + 1
            doc = {
                "recipient": recipient,
                "seq": seq,
                "kind": kind,
                "key": key or f"#{seq}",
                "data": data,
                "created_at": created,
                "expires_at": created + timedelta(days=settings.NOTICE_RETENTION_DAYS),
            }
            try:
                notices().insert_one(doc)
            except DuplicateKeyError:
                if key is not None and notices().find_one({"recipient": recipient, "key": key}, {"_id": 1}):
                    entry[1] = None
                    return None
                last = None  # another process took this seq: read the newest and go on
                continue
            entry[1] = seq
            return doc
        entry[1] = None
    raise RuntimeError(f"could not record a {kind} notice for {recipient}: the log kept changing")


def notice_recorded(*, recipient, key):
    """The notice of `recipient` recorded under `key`, or None."""
    return notices().find_one({"recipient": str(recipient), "key": key})


def notices_after(*, recipient, after, limit):
    """Up to `limit` notices of `recipient` with seq > `after`, oldest first, and the
    gap: None, or {"after", "resumes_after"} when notices after `after` are no longer
    kept (expired; or `after` was never one of this recipient's ids) and the first one
    returned is not the one that followed it; "resumes_after" is the id before the
    first one returned (the newest kept when none is; null when nothing is kept).

    `after` 0 (or None) means from the oldest kept, without a gap."""
    recipient = str(recipient)
    if not after:
        return list(notices().find({"recipient": recipient}, sort=[("seq", ASCENDING)], limit=limit)), None
    # From `after` itself: kept, it proves nothing between it and the next was lost.
    docs = list(notices().find({"recipient": recipient, "seq": {"$gte": after}}, sort=[("seq", ASCENDING)], limit=limit + 1))
    gap = _gap(recipient, after, docs[0]["seq"] if docs else None)
    if docs and docs[0]["seq"] == after:
        docs = docs[1:]
    return docs[:limit], gap


def notices_gap(*, recipient, after):
    """notices_after's gap alone."""
    if not after:
        return None
    first = notices().find_one({"recipient": str(recipient), "seq": {"$gte": after}}, {"seq": 1}, sort=[("seq", ASCENDING)])
    return _gap(str(recipient), after, first["seq"] if first else None)


def _gap(recipient, after, first):
    """`first`: the smallest kept seq >= after, or None."""
    if first is not None and first <= after + 1:
        return None
    return {"after": after, "resumes_after": first - 1 if first is not None else notice_head(recipient)}


def notices_expire():
    """Delete notices past their expiry (what the TTL index does on a real MongoDB)."""
    return notices().delete_many({"expires_at": {"$lte": now()}}).deleted_count


def notice_message(doc):
    """A notice as the API and the clients see it."""
    return {"id": doc["seq"], "type": doc["kind"], "created_at": when(doc["created_at"]), "data": doc["data"]}
