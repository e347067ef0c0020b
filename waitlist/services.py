"""Joining and leaving an event's waiting list (the line itself: waitlist/line.py; the steps
that keep the event's counters and the entries in step: waitlist/protocol.py; seats going to
the line: waitlist/offers.py)."""

from pymongo.errors import DuplicateKeyError

from bookings.errors import OverTypeMaximum
from shared.testhooks import checkpoint
from bookings.rules import check_open
from bookings.services.hold_store import RELEASED
from bookings.services.holds import hold_end
from shared.errors import Forbidden
from shared.ids import WAITLIST, WAITLIST_ID, IdTaken, next_public_id
from shared.mongo import events
from shared.timeutil import now
from events import ledger
from events.errors import EventBusy
from events.models import EventStatus
from events.store import NO_MARKERS, event_find_one_and_update
from events.ticket_types import type_for_booking
from notifications.services import WAITLIST_CHANGED, notify
from waitlist.errors import AlreadyInLine, EntryBusy, EntryNotFound, SeatsAvailable
from waitlist.line import (
    IN_LINE, JOIN, LEFT, LINE_VIEW, OFFERED, VOID, WAITING, entries, entry_get, line_key,
    live_entry_of, shown,
)
from waitlist.offers import seats_freed
from waitlist.protocol import entry_insert_fresh, entry_marker, leave_commit, marker_pull, settle_entry_marker

PUBLISHED = EventStatus.PUBLISHED.value
ATTEMPTS = 10


def _already(entry):
    return AlreadyInLine("You are already in this event's waiting list.", entry_id=entry["_id"])


def _check_joinable(event, customer, qty, ticket_type_id):
    """The type to wait for, or the refusal that explains why not."""
    check_open(event)
    ticket_type = type_for_booking(event=event, ticket_type_id=ticket_type_id)
    most = ticket_type["max_per_booking"]
    if most is not None and qty > most:
        raise OverTypeMaximum(f"At most {most} {ticket_type['name']} tickets per booking.", max_per_booking=most)
    mine = live_entry_of(event["_id"], customer.pk)
    if mine is not None:
        raise _already(mine)
    left = min(event["seats_available"], ticket_type["seats_available"])
    if left >= qty and not ticket_type.get("waitlist_waiting", 0):
        raise SeatsAvailable(
            f"{left} seat{'s are' if left != 1 else ' is'} available: book instead.",
            seats_available=left, ticket_type_id=ticket_type["id"],
        )
    return ticket_type


def waitlist_join(*, customer, event_id, qty, ticket_type_id=None):
    """Put the customer in line for `qty` seats of a type that has fewer than that (or has a
    line already). Returns (entry, event after). Freed seats then go to the line in order."""
    entry_id = next_public_id(WAITLIST)
    for _ in range(ATTEMPTS):
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        ticket_type = _check_joinable(event, customer, qty, ticket_type_id)
        moment = now()
        entry = {"_id": entry_id, "event_id": event_id, "customer_id": customer.pk, "type": ticket_type["id"], "qty": qty,
                 "at": moment, "state": WAITING, "hold": None, "offered_at": None, "notified": False,
                 "line_key": line_key(event_id, customer.pk), "ended_at": None}
        marker = entry_marker(entry=entry, then=JOIN, at=moment)
        short = {"$or": [{"seats_available": {"$lt": qty}}, {"waitlist_waiting": {"$gt": 0}}]}
        update, filters = ledger.with_(ledger.queue(type_id=ticket_type["id"]), {"$push": {"pending": marker}})
        update["$inc"]["line_seq"] = 1
        counted = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "$or": [
                    {"seats_available": {"$lt": qty}, "types.id": ticket_type["id"]},
                    {"types": {"$elemMatch": {"id": ticket_type["id"], **short}}},
                ],
            },
            update,
            projection={"line_seq": 1},
            array_filters=filters,
        )
        if counted is not None:
            break
        # Not matched: the next read says why (seats came back, already in line...), or we go again.
    else:
        raise EventBusy()
    entry["seq"] = counted["line_seq"]
    try:
        checkpoint("waitlist_join_after_count")
        entry = entry_insert_fresh(entry, event_id=event_id, marker=marker)
    except (DuplicateKeyError, IdTaken):
        # Already in line (or our id fenced by a settler that thought us dead): undo the count.
        settle_entry_marker(event_id, marker)
        mine = live_entry_of(event_id, customer.pk)
        if mine is not None and mine["_id"] != marker["entry"]:
            raise _already(mine) from None
        raise EventBusy() from None
    except Exception:
        settle_entry_marker(event_id, marker)  # the insert may have landed: settling decides
        raise
    checkpoint("waitlist_join_after_insert")
    marker_pull(event_id, marker)
    joined = events().find_one({"_id": event_id}, LINE_VIEW)
    notify(WAITLIST_CHANGED, event=joined, entry=shown(entry))
    # Seats may be free that the entries ahead do not fit: this one may fit them now.
    if seats_freed(event_id=event_id, type_id=entry["type"]):
        joined = events().find_one({"_id": event_id}, LINE_VIEW)
    return shown(entries().find_one({"_id": entry["_id"]})), joined


def _find(entry_id, actor):
    entry = entry_get(entry_id) if WAITLIST_ID.fullmatch(entry_id) else None
    if entry is None or entry["state"] == LEFT:
        raise EntryNotFound()
    if entry["customer_id"] != actor.pk:
        raise Forbidden("Only the customer in this entry may remove it.")
    return entry


def waitlist_leave(*, entry_id, actor):
    """Leave the line (or remove a finished entry from the list). An OFFERED entry gives its
    hold's seats back, and they go to the next in line."""
    for _ in range(ATTEMPTS):
        entry = _find(entry_id, actor)
        event_id = entry["event_id"]
        moment = now()
        if entry["state"] == WAITING:
            marker = entry_marker(entry=entry, then=LEFT, at=moment)
            event_find_one_and_update({"_id": event_id}, {"$push": {"pending": marker}}, projection={"_id": 1})
            checkpoint("waitlist_leave_after_mark")
            if leave_commit(marker):
                checkpoint("waitlist_leave_after_commit")
                marker_pull(event_id, marker, ledger.dequeue(type_id=entry["type"]))
                break
            marker_pull(event_id, marker)  # offered or closed meanwhile: look again
        elif entry["state"] == OFFERED:
            # Declined: its hold is given back (the seats go to the next in line) and the entry follows.
            hold = {"_id": entry["hold"], "entry": entry_id, "type": entry["type"], "qty": entry["qty"]}
            if hold_end(event_id=event_id, hold=hold, then=RELEASED, at=moment):
                break
        else:
            # A finished entry (booked, expired, closed) leaves the customer's history.
            if entries().delete_one({"_id": entry_id, "state": entry["state"]}).deleted_count:
                return shown(entry)
    else:
        raise EntryBusy()
    after = events().find_one({"_id": event_id}, LINE_VIEW)
    notify(WAITLIST_CHANGED, event=after, entry=shown(entry))
    return shown(entry)

