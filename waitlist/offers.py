"""Freed seats go to the line first: seats_freed, called wherever seats come back on sale
(a cancelled booking, a hold given back or expired, a capacity raised, a line entry
leaving) and by the reconciler as the crash backup (waitlist_reconcile).

Offering is, per entry, in line order:
 1. Read the event's counters; only a type with someone waiting and seats on sale reads its
    line: the first WAITING entry (by `seq`) whose qty fits the seats on sale now (of its
    type and of the event). Earlier entries that do not fit keep their place; while anyone
    waits for a type, nobody else can book or hold its seats (`waitlist_waiting`), so those
    seats wait for them.
 2. The offer (waitlist/protocol.py): one event update holds the seats and pushes a marker;
    the hold is inserted (`entry` naming the entry); the entry WAITING -> OFFERED with that
    hold is the commit point; then waitlist_waiting - 1 and the marker pulled. What is offered is
    offered, whoever reads it next.
 3. Tell the customer (waitlist.offer) and the organizer (waitlist.changed), then mark
    the entry notified.
A process that dies before 2 leaves seats on sale that the line is owed: the reconciler
finds events with waiting entries and free seats and runs seats_freed. Dying inside 2 leaves
a marker the reconciler settles. Dying between 2 and 3 leaves an offer nobody was told of:
the reconciler sends offers not marked notified. An offer not claimed in time expires with
its hold (offer_expire), the seats come back and go to the next in line; the entry follows its
hold's end (line.entry_follow), and this pass catches up with an entry a crash left behind.
"""

import logging
from datetime import timedelta

from django.conf import settings

from shared.testhooks import checkpoint
from shared.ids import HOLD, IdTaken, next_public_id
from shared.mongo import events
from shared.timeutil import now
from events import ledger
from events.models import EventStatus
from events.store import event_update_one
from notifications.services import WAITLIST_CHANGED, WAITLIST_OFFER, notify
from bookings.services.hold_store import LIVE, hold_document, holds
from bookings.services.hold_store import shown as hold_shown
from bookings.services.holds import hold_end
from waitlist.line import EXPIRED, LINE_VIEW, OFFERED, entries, entry_follow, in_order, shown
from waitlist.protocol import entry_marker, offer_commit, offer_hold_insert, settle_entry_marker

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
# Offers one call makes at most (each needs a free fitting seat, so this is a guard only).
MAX_ROUNDS = 200
# How many entries of a line one look reads at most before giving up on finding one that fits.
SCAN_MAX = 10_000
# A look reads the line in pages, the first this long and each next twice as long: most looks
# stop at the first entry, so a look costs what the entries it reads cost, not the line.
FIRST_PAGE = 16


def waiting_in_order(event_id, type_id):
    """The type's WAITING entries in line order, at most SCAN_MAX of them. Each page resumes
    after the last entry read (by seq, then id), as a cursor does: an entry that leaves
    meanwhile shifts nothing, one that joins comes at the end."""
    last, read, page = None, 0, FIRST_PAGE
    while read < SCAN_MAX:
        batch = list(in_order(event_id, type_id, from_seq=None if last is None else last[0]).limit(page))
        for entry in batch:
            if last is None or (entry["seq"], entry["_id"]) > last:
                yield entry
                read += 1
                if read >= SCAN_MAX:
                    return
        if len(batch) < page:
            return
        end = (batch[-1]["seq"], batch[-1]["_id"])
        last = end if last is None else max(last, end)
        page *= 2


def first_fitting(event):
    """(entry, type) of the first WAITING entry whose qty fits the seats on sale, or None.
    Reads only the lines of types that have someone waiting and a seat on sale."""
    picked = None
    for ticket_type in event["types"]:
        room = min(ticket_type["seats_available"], event["seats_available"])
        if ticket_type.get("waitlist_waiting", 0) <= 0 or room <= 0:
            continue
        for entry in waiting_in_order(event["_id"], ticket_type["id"]):
            if entry["qty"] <= room:
                if picked is None or (entry["seq"], entry["_id"]) < (picked[0]["seq"], picked[0]["_id"]):
                    picked = (entry, ticket_type)
                break
    return picked


def _offer(event, entry, ticket_type):
    """Step 2: the offer's steps (waitlist/protocol.py); (event after, hold) when the entry is
    offered now, (None, hold) when the line or the seats changed since the read."""
    moment = now()
    qty = entry["qty"]
    # Never past the event's start or the type's end of sales, like any hold.
    expires_at = min(
        moment + timedelta(seconds=settings.WAITLIST_OFFER_SECONDS),
        event["starts_at"],
        *([ticket_type["sales_end"]] if ticket_type.get("sales_end") else []),
    )
    hold = hold_document(hold_id=next_public_id(HOLD), event_id=event["_id"], customer_id=entry["customer_id"],
                         ticket_type=ticket_type, qty=qty, expires_at=expires_at, at=moment, entry=entry["_id"])
    marker = entry_marker(entry=entry, then=OFFERED, at=moment, hold=hold["_id"])
    update, filters = ledger.with_(ledger.hold(type_id=entry["type"], qty=qty), {"$push": {"pending": marker}})
    held = event_update_one(
        {
            "_id": event["_id"],
            "status": PUBLISHED,
            "starts_at": {"$gt": moment},
            "seats_available": {"$gte": qty},
            "types": {"$elemMatch": {"id": entry["type"], "seats_available": {"$gte": qty}}},
        },
        update,
        array_filters=filters,
    )
    if not held.modified_count:
        return None, hold
    checkpoint("waitlist_offer_after_hold")
    try:
        hold = offer_hold_insert(hold, event_id=event["_id"], marker=marker)
    except IdTaken:
        pass  # fenced by a settler that took this request for dead: settling decides below
    else:
        if offer_commit(marker):
            checkpoint("waitlist_offer_after_commit")
    # Offered: its count and marker settle; not (the entry left meanwhile): the seats go back.
    if settle_entry_marker(event["_id"], marker) != "offered":
        return None, hold
    return events().find_one({"_id": event["_id"]}, LINE_VIEW), hold_shown(hold)


def offer_announce(event, entry, hold):
    """Step 3: tell the customer and the organizer; mark the entry told."""
    entry = shown({**entry, "state": OFFERED, "hold": hold["id"]})
    notify(WAITLIST_OFFER, event=event, entry=entry, hold=hold)
    notify(WAITLIST_CHANGED, event=event, entry=entry)
    entries().update_one({"_id": entry["id"], "hold": hold["id"]}, {"$set": {"notified": True}})


def _owed(event_id):
    """The event's counters and holds, if a type of it has someone waiting."""
    return events().find_one({"_id": event_id, "types.waitlist_waiting": {"$gt": 0}}, LINE_VIEW)


def seats_freed(*, event_id, type_id=None):
    """Offer the seats on sale of the event to its line, in order (module docstring).
    `type_id` names the type whose seats came back; every type's line is looked at, since
    an event's overall quota shares seats between types. Returns how many offers were
    made; never raises (a failure is logged and the reconciler tries again)."""
    offered = 0
    try:
        checkpoint("waitlist_before_offer")
        for _ in range(MAX_ROUNDS):
            event = _owed(event_id)
            if event is None or event["status"] != PUBLISHED or event["starts_at"] <= now():
                break
            picked = first_fitting(event)
            if picked is None:
                break
            entry, ticket_type = picked
            after, hold = _offer(event, entry, ticket_type)
            if after is None:
                continue  # the line or the seats changed since the read: read again
            offered += 1
            checkpoint("waitlist_after_offer")
            offer_announce(after, entry, {**hold})
    except Exception:  # noqa: BLE001 - seats coming back never fail because of the line
        log.exception("offering freed seats of %s (type %s) to the waiting list failed; the reconciler will", event_id, type_id)
    return offered


def offer_expire(*, event_id, hold, expired_by):
    """An offer not claimed in time: its hold expires (its seats back on sale, bookings/services/
    holds.py) and the entry follows as EXPIRED; the seats go to the next in line. True when this
    call expired it."""
    return hold_end(event_id=event_id, hold=hold, then=EXPIRED, at=expired_by)


def offers_expire():
    """Expire every offer whose hold has run out (the reconciler's pass); returns how many."""
    moment = now()
    expired = 0
    for hold in holds().find({"state": LIVE, "entry": {"$ne": None}, "expires_at": {"$lte": moment}}):
        try:
            expired += offer_expire(event_id=hold["event_id"], hold=hold, expired_by=moment)
        except Exception:  # noqa: BLE001 - one bad offer must not stop the pass
            log.exception("could not expire the offer %s of %s", hold["_id"], hold["event_id"])
    return expired


def waitlist_reconcile(*, older_than_seconds):
    """Run by the reconciler: expire offers not claimed in time (their seats go to the next
    in line); as the crash backup, offer seats on sale that a line is owed and announce
    offers made by a process that died before telling anyone. Returns counts."""
    done = {"offers_expired": offers_expire(), "offers": 0, "offers_announced": 0}
    owed = {"status": PUBLISHED, "types": {"$elemMatch": {"waitlist_waiting": {"$gt": 0}, "seats_available": {"$gt": 0}}}}
    for event in events().find(owed, {"_id": 1}):
        done["offers"] += seats_freed(event_id=event["_id"])
    cutoff = now() - timedelta(seconds=older_than_seconds)
    for entry in entries().find({"state": OFFERED, "offered_at": {"$lte": cutoff}}):
        hold = holds().find_one({"_id": entry["hold"]})
        if hold is not None and hold["state"] != LIVE:
            # Its hold ended and a crash kept the entry from following.
            entry_follow(hold=hold)
            done["entries_followed"] = done.get("entries_followed", 0) + 1
            continue
        event = events().find_one({"_id": entry["event_id"], "status": PUBLISHED}, LINE_VIEW)
        if event and hold and not entry["notified"]:
            offer_announce(event, entry, hold_shown(hold))
            done["offers_announced"] += 1
    return {name: count for name, count in done.items() if count}
