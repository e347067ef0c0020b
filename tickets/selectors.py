"""Ticket reads: a booking's tickets (with their signed codes), an event's revocations and
check-ins, its door staff."""

import re
from datetime import timedelta

from django.conf import settings

from bookings.models import BookingStatus
from bookings.errors import BookingNotFound
from shared.ids import BOOKING_ID
from shared.mongo import bookings, collection, events
from shared.pagination import paginate
from shared.timeutil import now
from events.models import EventStatus
from tickets.access import checkins, door_staff, event_for_door, event_for_organizer
from tickets.codes import Ticket, code_for, ticket_id
from tickets.qr import qr_images

CANCELLED = BookingStatus.CANCELLED.value
CONFIRMED = BookingStatus.CONFIRMED.value
VALID, CHECKED_IN, REVOKED = "VALID", "CHECKED_IN", "REVOKED"


def ticket_list_of_booking(*, booking_id, customer):
    """The booking's tickets, one per seat, for the customer who made it (anyone else: 404).
    A ticket of a cancelled booking (or event) is REVOKED and has no code."""
    booking = bookings().find_one({"_id": booking_id}) if BOOKING_ID.fullmatch(booking_id or "") else None
    if booking is None or booking["status"] not in (CONFIRMED, CANCELLED) or booking["customer_id"] != customer.pk:
        raise BookingNotFound()
    event = events().find_one({"_id": booking["event_id"]}, {"title": 1, "starts_at": 1, "status": 1, "venue": 1, "city": 1})
    revoked = booking["status"] == CANCELLED or event["status"] == EventStatus.CANCELLED
    ids = [ticket_id(booking_id, seat) for seat in range(1, booking["qty"] + 1)]
    entered = {doc["_id"]: doc for doc in checkins().find({"_id": {"$in": ids}}, {"checked_in_at": 1, "gate": 1})}
    tickets = []
    for seat, tid in enumerate(ids, start=1):
        ticket = Ticket(event_id=booking["event_id"], booking_id=booking_id, seat=seat, ticket_type_id=booking["ticket_type_id"])
        checkin = entered.get(tid)
        code = None if revoked else code_for(ticket)
        tickets.append({
            "id": tid, "seat": seat, "ticket_type_id": booking["ticket_type_id"], "ticket_type_name": booking["ticket_type_name"],
            "status": REVOKED if revoked else CHECKED_IN if checkin else VALID,
            "checked_in_at": checkin["checked_in_at"] if checkin else None, "gate": checkin["gate"] if checkin else None,
            "code": code, "qr": qr_images(code) if code else None,
        })
    return {"booking": booking, "event": event, "tickets": tickets}


def revocation_list(*, event_id, actor, since=None, page, page_size):
    """What an offline scanner must refuse: the event's bookings cancelled at `since` or
    later (all with no `since`), oldest first, with their ticket ids. `next_since` is what
    to send next time: a little before now, since a cancellation is stamped when it starts
    and may be written later (TICKET_REVOCATION_OVERLAP_SECONDS)."""
    event = event_for_door(event_id=event_id, actor=actor)
    moment = now()
    query = {"event_id": event_id, "status": CANCELLED}
    if since is not None:
        query["cancelled_at"] = {"$gte": since}
    result = paginate(bookings(), query, sort=[("cancelled_at", 1), ("_id", 1)], page=page, page_size=page_size,
                      projection={"qty": 1, "cancelled_at": 1, "cancelled_by_event": 1})
    result["results"] = [
        {"booking_id": doc["_id"], "ticket_ids": [ticket_id(doc["_id"], seat) for seat in range(1, doc["qty"] + 1)],
         "revoked_at": doc["cancelled_at"], "cancelled_by_event": doc.get("cancelled_by_event", False)}
        for doc in result["results"]
    ]
    cancelled = event["status"] == EventStatus.CANCELLED
    return {
        "event_id": event_id,
        "event_cancelled": cancelled,
        "event_cancelled_at": event.get("cancelled_at") if cancelled else None,
        "as_of": moment,
        "next_since": moment - timedelta(seconds=settings.TICKET_REVOCATION_OVERLAP_SECONDS),
        **result,
    }


TICKET_OR_BOOKING = re.compile(rf"({BOOKING_ID.pattern})(-[1-9][0-9]{{0,4}})?")


def checkin_list(*, event_id, actor, q=None, gate=None, page, page_size):
    """The event's check-ins, newest first (filtered by gate, or by a booking or ticket id in
    `q`), with the counts per ticket type and per gate."""
    event = event_for_door(event_id=event_id, actor=actor)
    query = {"event_id": event_id}
    if gate:
        query["gate"] = gate
    if q:
        match = TICKET_OR_BOOKING.fullmatch(q)
        query["_id"] = q if match.group(2) else {"$regex": f"^{re.escape(q)}-"}
    result = paginate(checkins(), query, sort=[("checked_in_at", -1), ("_id", -1)], page=page, page_size=page_size)
    groups = list(checkins().aggregate([
        {"$match": {"event_id": event_id}},
        {"$group": {"_id": {"type": "$ticket_type_id", "gate": "$gate"}, "n": {"$sum": 1}}},
    ]))
    by_type, by_gate = {}, {}
    for group in groups:
        by_type[group["_id"]["type"]] = by_type.get(group["_id"]["type"], 0) + group["n"]
        by_gate[group["_id"]["gate"]] = by_gate.get(group["_id"]["gate"], 0) + group["n"]
    types = sorted(event.get("types") or [], key=lambda t: (t.get("sort_order", 0), t["id"]))
    return {
        "event_id": event_id,
        "checked_in": sum(by_gate.values()),
        "tickets": event.get("tickets_sold", 0),
        "by_type": [
            {"ticket_type_id": t["id"], "ticket_type_name": t["name"], "checked_in": by_type.get(t["id"], 0),
             "tickets": t.get("tickets_sold", 0)}
            for t in types
        ],
        "by_gate": [{"gate": name, "checked_in": count} for name, count in sorted(by_gate.items())],
        **result,
    }


def door_staff_list(*, event_id, actor):
    """The accounts that may check tickets in at the event (its organizer's view), oldest grant first."""
    event_for_organizer(event_id=event_id, actor=actor)
    grants = list(door_staff().find({"event_id": event_id}).sort([("granted_at", 1), ("_id", 1)]))
    users = {u["_id"]: u for u in collection("users").find({"_id": {"$in": [g["user_id"] for g in grants]}}, {"email": 1, "name": 1})}
    return [{**grant, "email": users[grant["user_id"]]["email"], "name": users[grant["user_id"]]["name"]}
            for grant in grants if grant["user_id"] in users]
