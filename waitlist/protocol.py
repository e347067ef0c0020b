"""The steps that keep an event's counters and its entries (another collection) in step,
without transactions: the bookings' marker protocol (bookings/services/__init__.py) applied
to the line.

A marker {kind: "entry", entry, hold, then, type, qty, at} in the event's `pending` says
"the entry is on its way to `then`; the counters of the event still owe that move". Each
change is written in three steps, and every counter move is first made in the direction that
refuses more (a type with a line refuses plain bookings, held seats are off sale):

 join (then JOIN):      event: waitlist_waiting + 1, marker pushed | insert the entry (commit)
                        | pull the marker. Not inserted: fence the id, waitlist_waiting - 1, pull.
 leave a WAITING entry  event: marker pushed | entry WAITING -> LEFT (commit)
   (then LEFT, no hold) | waitlist_waiting - 1, pull. Still WAITING: the leave is finished here.
 offer (then OFFERED):  event: seats on sale -> held, marker pushed | the hold inserted
                        (bookings/services/holds.py, `entry` set) | entry WAITING -> OFFERED with
                        the hold (commit) | waitlist_waiting - 1, pull. Settling fences the hold
                        id first: a hold never made means no offer (seats back); a hold made
                        and an entry still WAITING: the offer is finished here; an entry gone
                        or ended: the hold VOID and its seats back.
 An offer ends with its hold (claimed, expired, declined by leaving, closed): the hold's own
 steps move the seats (holds.py), and the entry follows the hold's end (line.entry_follow,
 called by holds.py; the reconcile pass catches up with any a crash left behind).
Every event update is conditional on the marker (or its absence), so two settlers, or a
settler and a slow request, do each move once. An entry's or an offer's hold's id that is
already another's (a counter that fell behind, shared/ids.py) moves on to a fresh id, the
marker following first (entry_insert_fresh, offer_hold_insert); a marker whose id names an
entry or hold made at another moment is settled as one never made. settle_entry_marker is what the reconciler
(through bookings.services.markers.settle_marker) runs for a marker whose request died.
"""

from bookings.services.hold_store import LIVE, hold_fence, holds
from shared.ids import HOLD, WAITLIST, insert_with_fresh_id
from events import ledger
from events.store import event_update_one
from waitlist.line import (
    ENTRY_MARKER, JOIN, LEFT, OFFERED, VOID, WAITING, entries, entry_end, entry_fence,
)


def entry_marker(*, entry, then, at, hold=None):
    return {"kind": ENTRY_MARKER, "entry": entry["_id"], "hold": hold, "then": then, "type": entry["type"],
            "qty": entry["qty"], "at": at}


def marker_key(marker):
    key = {"kind": ENTRY_MARKER, "entry": marker["entry"], "at": marker["at"]}
    if marker["then"] == OFFERED:
        key["hold"] = marker["hold"]  # a hold id that was another's moves on (offer_hold_insert)
    return key


def marker_pull(event_id, marker, move=None, more=None):
    """Pull the marker, with `move` (a ledger move) and `more` operators, once: only while the
    marker is there. True when this call did."""
    extra = dict(more or {})
    pulls = {**extra.pop("$pull", {}), "pending": marker_key(marker)}
    update, filters = ledger.with_(move or ledger.nothing(), {"$pull": pulls, **extra})
    done = event_update_one({"_id": event_id, "pending": {"$elemMatch": marker_key(marker)}}, update, array_filters=filters)
    return done.modified_count == 1


def offer_commit(marker):
    """Step 2 of an offer: the entry WAITING -> OFFERED with the hold. True when it is offered now."""
    entries().update_one(
        {"_id": marker["entry"], "state": WAITING},
        {"$set": {"state": OFFERED, "hold": marker["hold"], "offered_at": marker["at"]}},
    )
    return entries().find_one({"_id": marker["entry"], "state": OFFERED, "hold": marker["hold"]}, {"_id": 1}) is not None


def leave_commit(marker):
    """Step 2 of leaving a WAITING entry. True when it has left under this marker."""
    entry_end(marker["entry"], from_state=WAITING, to_state=LEFT, at=marker["at"])
    return entries().find_one({"_id": marker["entry"], "state": LEFT, "ended_at": marker["at"]}, {"_id": 1}) is not None


def settle_entry_marker(event_id, marker):
    """Do what an entry marker says is still owed (module docstring). Returns what happened:
    kept, restored (seats back on sale), unqueued, offered, left, dropped."""
    then, entry_id = marker["then"], marker["entry"]
    if then == JOIN:
        doc = entries().find_one({"_id": entry_id}, {"state": 1, "event_id": 1, "at": 1})
        if doc is None and not entry_fence(entry_id=entry_id, event_id=event_id):
            return settle_entry_marker(event_id, marker)
        if doc is None or doc["state"] == VOID or not _made_under(doc, event_id, marker):
            # Never made; or the id is another entry's (a counter that fell behind): not ours.
            marker_pull(event_id, marker, ledger.dequeue(type_id=marker["type"]))
            return "unqueued"
        marker_pull(event_id, marker)
        return "kept"
    if then == OFFERED:
        # The hold's id is fenced first: once it is VOID, no slow request can make it.
        if not hold_fence(hold_id=marker["hold"], event_id=event_id) and _offer_hold(marker) and offer_commit(marker):
            marker_pull(event_id, marker, ledger.dequeue(type_id=marker["type"]))
            return "offered"
        # Never made (or the id is another's hold), or the entry left or ended before it could
        # be offered: the seats go back.
        holds().update_one({"_id": marker["hold"], "state": LIVE, "entry": entry_id, "at": marker["at"]},
                           {"$set": {"state": VOID, "ended_at": marker["at"]}})
        marker_pull(event_id, marker, ledger.release(type_id=marker["type"], qty=marker["qty"]))
        return "restored"
    if then == LEFT:
        if leave_commit(marker):
            marker_pull(event_id, marker, ledger.dequeue(type_id=marker["type"]))
            return "left"
        marker_pull(event_id, marker)
        return "dropped"


def _made_under(doc, event_id, marker):
    """Whether a stored entry or hold is the one `marker` was pushed for (made at its moment)."""
    return doc.get("event_id") == event_id and doc.get("at") == marker["at"]


def _offer_hold(marker):
    """Whether the hold under the offer marker's id is the offer's (not another's that had the id)."""
    return holds().find_one({"_id": marker["hold"], "entry": marker["entry"], "at": marker["at"]}, {"_id": 1}) is not None


def _fresh_id_insert(target, doc, *, prefix, event_id, marker, field):
    """Insert a new entry or hold; if its id is already another's (a counter that fell behind,
    shared/ids.py), under a fresh id, the marker's `field` following it first. The id
    fenced by a settler, or the marker gone meanwhile: IdTaken, nothing inserted."""

    def ours(existing):
        return existing.get("state") != VOID and _made_under(existing, event_id, marker)

    def follow(old, new):
        if target.find_one({"_id": old, "state": VOID}, {"_id": 1}) is not None:
            return False  # fenced: a settler took this request for dead
        moved = event_update_one(
            {"_id": event_id, "pending": {"$elemMatch": marker_key(marker)}},
            {"$set": {f"pending.$[m].{field}": new}},
            array_filters=[{"m.kind": ENTRY_MARKER, "m.entry": marker["entry"], "m.at": marker["at"], f"m.{field}": old}],
        )
        if not moved.matched_count:
            return False
        marker[field] = new
        return True

    return insert_with_fresh_id(target, doc, prefix=prefix, ours=ours, renamed=follow)


def entry_insert_fresh(entry, *, event_id, marker):
    """Step 2 of a join: insert the entry (a fresh id if its id is another's). Raises
    DuplicateKeyError when the customer is already in line, IdTaken when fenced."""
    return _fresh_id_insert(entries(), entry, prefix=WAITLIST, event_id=event_id, marker=marker, field="entry")


def offer_hold_insert(hold, *, event_id, marker):
    """The offer's hold inserted (a fresh id if its id is another's hold). IdTaken when fenced."""
    return _fresh_id_insert(holds(), hold, prefix=HOLD, event_id=event_id, marker=marker, field="hold")
