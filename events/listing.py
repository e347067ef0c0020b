"""Event listings without redoing work: each process keeps the JSON of the event
states it has shown, and a listing fetches and renders only the events whose state
it has not shown yet.

A listing first asks the database for its page as heads: the listing's own filter,
sort, skip and limit, projected to `_id`, `version` and `created_at` (one small
query; it decides membership, order and, on a last page, the count, exactly as a
full query would). Each head whose (id, version, created_at) this process holds is
served from memory; the others are fetched in one `find` by `_id` and rendered
(events/serializers.py) and kept.

Why nothing older than an acknowledged write is served (the argument of the event
cache, docs/architecture.md "Cache"): every write that changes what a reader is
shown increments the event's `version` in the same update (events/store.py); a kept
JSON was rendered from one read of the document, so it is the state at its version;
the heads are read after any write acknowledged before the listing started, so
their versions are that write's or later, and only JSON of exactly those versions
is served. `created_at` is in the key because ids never repeat within a database,
but tests reset the database under long-lived server processes. Writers do nothing
here, and Redis is not involved: no outage can change an answer.

Time is the one other input of the JSON (a ticket type's `on_sale`), so a kept JSON
also holds only until the next sale window boundary of its types.

EVENT_JSON_MEMO_SIZE bounds the entries per process (0: off, one full query per page).
"""

from datetime import UTC, datetime

from django.conf import settings

from shared.mongo import events
from shared.pagination import page_of
from shared.timeutil import now
from events.output import event_json
from events.store import NO_MARKERS

HEAD = {"version": 1, "created_at": 1}
FOREVER = datetime.max.replace(tzinfo=UTC)

# (event id, version, created_at, owned) -> (JSON, valid until)
_kept = {}


def event_page_json(query, *, sort, page, page_size, owned=False):
    """One page of the events matching `query` (the pagination shape), as JSON."""
    cursor = events().find(query, HEAD if settings.EVENT_JSON_MEMO_SIZE else NO_MARKERS)
    found = list(cursor.sort(sort).skip((page - 1) * page_size).limit(page_size + 1))
    result = page_of(events(), query, found, page=page, page_size=page_size)
    if settings.EVENT_JSON_MEMO_SIZE:
        result["results"] = _shown(result["results"], owned)
    else:
        result["results"] = [event_json(doc, owned=owned) for doc in result["results"]]
    return result


def _key(doc, owned):
    return doc["_id"], doc.get("version", 0), doc["created_at"], owned


def _shown(heads, owned):
    moment = now()
    shown, missing = {}, []
    for head in heads:
        kept = _kept.get(_key(head, owned))
        if kept is not None and moment < kept[1]:
            shown[head["_id"]] = kept[0]
        else:
            missing.append(head["_id"])
    if missing:
        if len(_kept) + len(missing) > settings.EVENT_JSON_MEMO_SIZE:
            _kept.clear()
        for doc in events().find({"_id": {"$in": missing}}, NO_MARKERS):
            # Possibly a later version than its head: later than the listing's start too.
            shown[doc["_id"]] = rendered = event_json(doc, owned=owned)
            _kept[_key(doc, owned)] = (rendered, _valid_until(doc, moment))
    # An event deleted since its head was read is left out.
    return [shown[head["_id"]] for head in heads if head["_id"] in shown]


def _valid_until(doc, moment):
    """The first sale window boundary after `moment`: `on_sale` may change there."""
    bounds = [
        bound
        for ticket_type in doc.get("types") or []
        for bound in (ticket_type.get("sales_start"), ticket_type.get("sales_end"))
        if bound is not None and bound > moment
    ]
    return min(bounds, default=FOREVER)
