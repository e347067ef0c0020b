"""Freed seats go to the line first: seats_freed, called wherever seats come back on sale
(a cancelled booking, a hold given back or expired, a capacity raised, a line entry
leaving) and by the reconciler as the crash backup (waitlist_reconcile).

Offering is, per entry, in line order:
 1. Read the line; pick the first WAITING entry whose qty fits the seats on sale now
    (of its type and of the event). Earlier entries that do not fit keep their place;
    while anyone waits for a type, nobody else can book or hold its seats
    (`waitlist_waiting`), so those seats wait for them.
 2. One conditional update (entry still WAITING, seats still there): the entry becomes
    OFFERED with a hold of its qty (seats_available -> seats_held, event and type), the
    type's waitlist_waiting - 1, the hold pushed with `entry` naming the entry. The
    commit point: what is offered is offered, whoever reads it next.
 3. Tell the customer (waitlist.offer) and the organizer (waitlist.changed), then mark
    the entry notified.
A process that dies before 2 leaves seats on sale that the line is owed: the reconciler
finds events with waiting entries and free seats and runs seats_freed. Dying between 2
and 3 leaves an offer nobody was told of: the reconciler sends offers not marked
notified. An offer not claimed in time expires with its hold (the hold's expiry marks the
entry EXPIRED in the same update), the seats come back and go to the next in line.
"""

import logging
from datetime import timedelta

from django.conf import settings

from bookings.faults import fault
from eventbooking.ids import HOLD, next_public_id
from eventbooking.mongo import events
from eventbooking.timeutil import now
from events.models import EventStatus
from events.store import event_find_one_and_update, event_update_one
from notifications.services import WAITLIST_CHANGED, WAITLIST_OFFER, notify
from waitlist.line import EXPIRED, LINE_VIEW, OFFERED, WAITING, hold_of, hold_seats

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
# Offers one call makes at most (each needs a free fitting seat, so this is a guard only).
MAX_ROUNDS = 200


def first_fitting(event):
    """(entry, type) of the first WAITING entry whose qty fits the seats on sale, or None."""
    types = {t["id"]: t for t in event["types"]}
    for entry in event.get("waitlist") or []:
        ticket_type = types.get(entry["type"])
        if entry["state"] == WAITING and ticket_type is not None:
            if entry["qty"] <= min(ticket_type["seats_available"], event["seats_available"]):
                return entry, ticket_type
    return None


def _offer(event, entry, ticket_type):
    """Step 2: the one update that turns the entry into an offer; the event after, or None."""
    moment = now()
    qty = entry["qty"]
    hold = {
        "id": next_public_id(HOLD), "customer_id": entry["customer_id"], "type": entry["type"], "qty": qty,
        "unit_price_cents": ticket_type["price_cents"], "at": moment,
        # Never past the event's start or the type's end of sales, like any hold.
        "expires_at": min(
            moment + timedelta(seconds=settings.WAITLIST_OFFER_SECONDS),
            event["starts_at"],
            *([ticket_type["sales_end"]] if ticket_type.get("sales_end") else []),
        ),
        "entry": entry["id"],
    }
    after = event_find_one_and_update(
        {
            "_id": event["_id"],
            "status": PUBLISHED,
            "starts_at": {"$gt": moment},
            "seats_available": {"$gte": qty},
            "types": {"$elemMatch": {"id": entry["type"], "seats_available": {"$gte": qty}}},
            "waitlist": {"$elemMatch": {"id": entry["id"], "state": WAITING}},
        },
        {
            "$set": {"waitlist.$[w].state": OFFERED, "waitlist.$[w].hold": hold["id"], "waitlist.$[w].offered_at": moment},
            "$inc": {**hold_seats(qty, +1), "types.$[t].waitlist_waiting": -1},
            "$push": {"holds": hold},
        },
        projection=LINE_VIEW,
        array_filters=[{"t.id": entry["type"]}, {"w.id": entry["id"]}],
    )
    return after, hold


def offer_announce(event, entry, hold):
    """Step 3: tell the customer and the organizer; mark the entry told."""
    notify(WAITLIST_OFFER, event=event, entry=entry, hold=hold)
    notify(WAITLIST_CHANGED, event=event, entry=entry)
    event_update_one(
        {"_id": event["_id"], "waitlist": {"$elemMatch": {"id": entry["id"], "hold": hold["id"]}}},
        {"$set": {"waitlist.$[w].notified": True}},
        array_filters=[{"w.id": entry["id"]}],
    )


def seats_freed(*, event_id, type_id=None):
    """Offer the seats on sale of the event to its line, in order (module docstring).
    `type_id` names the type whose seats came back; every type's line is looked at, since
    an event's overall quota shares seats between types. Returns how many offers were
    made; never raises (a failure is logged and the reconciler tries again)."""
    offered = 0
    try:
        fault("waitlist_before_offer")
        for _ in range(MAX_ROUNDS):
            event = events().find_one({"_id": event_id, "types.waitlist_waiting": {"$gt": 0}}, LINE_VIEW)
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
            fault("waitlist_after_offer")
            offer_announce(after, entry, hold)
    except Exception:  # noqa: BLE001 - seats coming back never fail because of the line
        log.exception("offering freed seats of %s (type %s) to the waiting list failed; the reconciler will", event_id, type_id)
    return offered


def offer_expire(*, event_id, hold, expired_by):
    """An offer not claimed in time: its hold's seats back on sale and the entry EXPIRED, in
    one update conditional on the hold still there and expired; then the seats go to the
    next in line. True when this call expired it."""
    done = event_update_one(
        {
            "_id": event_id,
            "holds": {"$elemMatch": {"id": hold["id"], "entry": hold["entry"], "expires_at": {"$lte": expired_by}}},
            "waitlist": {"$elemMatch": {"id": hold["entry"], "state": OFFERED, "hold": hold["id"]}},
        },
        {"$inc": hold_seats(hold["qty"], -1), "$pull": {"holds": {"id": hold["id"]}}, "$set": {"waitlist.$[w].state": EXPIRED}},
        array_filters=[{"t.id": hold["type"]}, {"w.id": hold["entry"]}],
    )
    if done.modified_count:
        seats_freed(event_id=event_id, type_id=hold["type"])
    return done.modified_count == 1


def offers_expire():
    """Expire every offer whose hold has run out (the reconciler's pass); returns how many."""
    moment = now()
    expired = 0
    late = {"$elemMatch": {"entry": {"$ne": None}, "expires_at": {"$lte": moment}}}
    for event in events().find({"holds": late}, {"holds": 1}):
        for hold in event["holds"]:
            if hold.get("entry") is not None and hold["expires_at"] <= moment:
                try:
                    expired += offer_expire(event_id=event["_id"], hold=hold, expired_by=moment)
                except Exception:  # noqa: BLE001 - one bad offer must not stop the pass
                    log.exception("could not expire the offer %s of %s", hold["id"], event["_id"])
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
    untold = {"$elemMatch": {"state": OFFERED, "notified": False, "offered_at": {"$lte": cutoff}}}
    for event in events().find({"status": PUBLISHED, "waitlist": untold}, LINE_VIEW):
        for entry in event["waitlist"]:
            hold = hold_of(event, entry)
            if entry["state"] == OFFERED and not entry["notified"] and entry["offered_at"] <= cutoff and hold:
                offer_announce(event, entry, hold)
                done["offers_announced"] += 1
    return {name: count for name, count in done.items() if count}
