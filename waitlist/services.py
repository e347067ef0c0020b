"""Joining and leaving an event's waiting list (the line itself: waitlist/line.py; seats
going to the line: waitlist/offers.py). Each change is one conditional update of the event
document, like a booking: the entry and its type's `waitlist_waiting` move together."""

from bookings.services.reserve import OverTypeMaximum
from bookings.services.reserve import _not_open as not_open
from bookings.services.reserve import _started as started
from eventbooking.errors import Conflict, Forbidden, NotFound
from eventbooking.ids import WAITLIST, WAITLIST_ID, next_public_id
from eventbooking.mongo import events
from eventbooking.timeutil import now
from events.models import EventStatus
from events.services import EventNotFound
from events.store import event_find_one_and_update
from events.ticket_types import type_for_booking
from notifications.services import WAITLIST_CHANGED, notify
from waitlist.line import IN_LINE, LINE_VIEW, OFFERED, WAITING, hold_seats
from waitlist.offers import seats_freed

PUBLISHED = EventStatus.PUBLISHED.value
ATTEMPTS = 10


class SeatsAvailable(Conflict):
    code = "seats_available"


class AlreadyInLine(Conflict):
    code = "already_in_waitlist"


class EntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    message = "No such waiting-list entry."


def _check_joinable(event, customer, qty, ticket_type_id):
    """The type to wait for, or the refusal that explains why not."""
    if event is None or event["status"] == EventStatus.DRAFT:
        raise EventNotFound()
    if event["status"] != PUBLISHED:
        raise not_open(event["status"])
    if event["starts_at"] <= now():
        raise started()
    ticket_type = type_for_booking(event=event, ticket_type_id=ticket_type_id)
    most = ticket_type["max_per_booking"]
    if most is not None and qty > most:
        raise OverTypeMaximum(f"At most {most} {ticket_type['name']} tickets per booking.", max_per_booking=most)
    mine = [e for e in event.get("waitlist") or [] if e["customer_id"] == customer.pk and e["state"] in IN_LINE]
    if mine:
        raise AlreadyInLine("You are already in this event's waiting list.", entry_id=mine[0]["id"])
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
    for _ in range(ATTEMPTS):
        event = events().find_one({"_id": event_id}, LINE_VIEW)
        ticket_type = _check_joinable(event, customer, qty, ticket_type_id)
        moment = now()
        entry = {"id": next_public_id(WAITLIST), "customer_id": customer.pk, "type": ticket_type["id"], "qty": qty,
                 "at": moment, "state": WAITING, "hold": None, "offered_at": None, "notified": False}
        short = {"$or": [{"seats_available": {"$lt": qty}}, {"waitlist_waiting": {"$gt": 0}}]}
        joined = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "waitlist": {"$not": {"$elemMatch": {"customer_id": customer.pk, "state": {"$in": IN_LINE}}}},
                "$or": [
                    {"seats_available": {"$lt": qty}, "types.id": ticket_type["id"]},
                    {"types": {"$elemMatch": {"id": ticket_type["id"], **short}}},
                ],
            },
            {"$push": {"waitlist": entry}, "$inc": {"types.$[t].waitlist_waiting": 1}},
            projection=LINE_VIEW,
            array_filters=[{"t.id": ticket_type["id"]}],
        )
        if joined is not None:
            break
        # Not matched: the next read says why (seats came back, already in line...), or we go again.
    else:
        raise Conflict("The event kept changing; try again.", code="event_busy")
    notify(WAITLIST_CHANGED, event=joined, entry=entry)
    # Seats may be free that the entries ahead do not fit: this one may fit them now.
    if seats_freed(event_id=event_id, type_id=entry["type"]):
        joined = events().find_one({"_id": event_id}, LINE_VIEW)
    # The entry as the line shows it now; as pushed if it left meanwhile (its customer left the line).
    return next((e for e in joined["waitlist"] if e["id"] == entry["id"]), entry), joined


def _find(entry_id, actor):
    event = events().find_one({"waitlist.id": entry_id}, LINE_VIEW) if WAITLIST_ID.fullmatch(entry_id) else None
    entry = next((e for e in event["waitlist"] if e["id"] == entry_id), None) if event else None
    if entry is None:
        raise EntryNotFound()
    if entry["customer_id"] != actor.pk:
        raise Forbidden("Only the customer in this entry may remove it.")
    return event, entry


def waitlist_leave(*, entry_id, actor):
    """Leave the line (or remove a closed entry from the list). An OFFERED entry gives its
    hold's seats back in the same update, and they go to the next in line."""
    for _ in range(ATTEMPTS):
        event, entry = _find(entry_id, actor)
        query = {"_id": event["_id"], "waitlist": {"$elemMatch": {"id": entry_id, "state": entry["state"], "hold": entry["hold"]}}}
        update = {"$pull": {"waitlist": {"id": entry_id}}}
        filters = None
        if entry["state"] == WAITING:
            update["$inc"] = {"types.$[t].waitlist_waiting": -1}
            filters = [{"t.id": entry["type"]}]
        elif entry["state"] == OFFERED:
            query["holds.id"] = entry["hold"]
            update["$pull"]["holds"] = {"id": entry["hold"]}
            update["$inc"] = hold_seats(entry["qty"], -1)
            filters = [{"t.id": entry["type"]}]
        after = event_find_one_and_update(query, update, projection=LINE_VIEW, array_filters=filters)
        if after is not None:
            break
        # The entry changed meanwhile (offered, expired): read it again.
    else:
        raise Conflict("This entry kept changing; try again.", code="waitlist_entry_busy")
    if entry["state"] in IN_LINE:
        notify(WAITLIST_CHANGED, event=after, entry=entry)
    if entry["state"] == OFFERED:
        seats_freed(event_id=event["_id"], type_id=entry["type"])
    return entry
