"""Check-in and door-staff grants.

A check-in (checkin_scan), per scanned code:
 1. The code is read and its signature checked (tickets/codes.py): 400
    `ticket_code_malformed` / `ticket_signature_invalid`; a code of another event is 400
    `ticket_wrong_event`.
 2. Revoked tickets are refused (409 `ticket_revoked`): their booking is CANCELLED (by its
    customer, by staff, with its event) or the event is. Revocation is read from the
    booking at scan time, so nothing is written when a booking is cancelled.
 3. One insert whose _id is the ticket id: of any number of scans of one ticket, on any
    number of server processes, exactly one lands (201); the others read it and answer
    409 `already_checked_in` with its time and gate.
A scan carries a nonce. Every answer is a function of the code and of facts that never
change once true (a ticket checked in, a booking cancelled), so sending the same scan
again answers the same: the check-in whose nonce it is answers 201 again (marked
replayed). A batch of offline scans is each scan in turn, and is safe to upload twice.
"""

from datetime import UTC

from pymongo.errors import DuplicateKeyError

from bookings.models import BookingStatus
from shared.errors import Conflict, DomainError, NotFound, Unprocessable
from shared.mongo import bookings, collection
from shared.output import when
from shared.timeutil import now
from events.models import EventStatus
from notifications.services import CHECKIN_CREATED, notify
from tickets.access import checkins, door_staff, event_for_door, event_for_organizer
from tickets.codes import code_read

CANCELLED = BookingStatus.CANCELLED.value
CONFIRMED = BookingStatus.CONFIRMED.value


class TicketWrongEvent(DomainError):
    code = "ticket_wrong_event"
    field = "code"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"


class TicketRevoked(Conflict):
    code = "ticket_revoked"


class NonceReused(Unprocessable):
    code = "nonce_reused"
    message = "This nonce already admitted another ticket: give each scan a nonce of its own."
    field = "nonce"


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No account has this email: the door staff register first."
    field = "email"


class DoorStaffNotFound(NotFound):
    code = "door_staff_not_found"
    message = "This account is not door staff of this event."


class GrantToOrganizer(DomainError):
    code = "door_staff_is_organizer"
    message = "The organizer checks tickets in already."
    field = "email"


def _existing(ticket_id, nonce):
    """(check-in, replayed) for a ticket already in: the first answer again for its own nonce,
    else 409 already_checked_in."""
    checkin = checkins().find_one({"_id": ticket_id})
    if checkin is None:
        return None
    if checkin["nonce"] == nonce:
        return checkin, True
    raise AlreadyCheckedIn(
        f"Ticket {ticket_id} was checked in at {checkin['gate']}.",
        ticket_id=ticket_id, checked_in_at=when(checkin["checked_in_at"]),
        gate=checkin["gate"], scanned_at=when(checkin["scanned_at"]),
    )


def _revoked(ticket, reason, at):
    return TicketRevoked(
        "This ticket is revoked: " + {"event_cancelled": "the event is cancelled.", "booking_cancelled": "its booking is cancelled.",
                                      "booking_void": "its booking does not exist."}[reason],
        ticket_id=ticket.id, reason=reason, revoked_at=when(at),
    )


def _milliseconds(moment):
    # MongoDB keeps milliseconds: the first answer must equal what a replay reads back.
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


def _scan(event, actor, *, code, gate, nonce, scanned_at=None):
    """One scan at `event` (the caller checked the actor may work its door). Returns
    (check-in, replayed) or raises the refusal (module docstring)."""
    ticket = code_read(code)
    if ticket.event_id != event["_id"]:
        raise TicketWrongEvent(f"This ticket is for {ticket.event_id}, not {event['_id']}.", ticket_event_id=ticket.event_id)
    booking = bookings().find_one({"_id": ticket.booking_id}, {"status": 1, "qty": 1, "cancelled_at": 1})
    revoked = None
    if event["status"] == EventStatus.CANCELLED:
        revoked = ("event_cancelled", event.get("cancelled_at"))
    elif booking is None or booking["status"] not in (CONFIRMED, CANCELLED) or ticket.seat > booking["qty"]:
        revoked = ("booking_void", None)
    elif booking["status"] == CANCELLED:
        revoked = ("booking_cancelled", booking.get("cancelled_at"))
    if revoked:
        # A ticket let in before its booking was cancelled stays let in (and its scan replays).
        found = _existing(ticket.id, nonce)
        if found:
            return found
        raise _revoked(ticket, *revoked)
    type_name = next((t["name"] for t in event.get("types") or [] if t["id"] == ticket.ticket_type_id), "")
    checkin = {
        "_id": ticket.id, "event_id": event["_id"], "booking_id": ticket.booking_id, "seat": ticket.seat,
        "ticket_type_id": ticket.ticket_type_id, "ticket_type_name": type_name, "gate": gate, "nonce": nonce,
        "scanned_at": _milliseconds(scanned_at) if scanned_at else now(), "checked_in_at": now(), "checked_in_by_id": actor.pk,
    }
    try:
        checkins().insert_one(checkin)
    except DuplicateKeyError:
        found = _existing(ticket.id, nonce)
        if found:
            return found
        raise NonceReused() from None
    notify(CHECKIN_CREATED, event=event, checkin=checkin)
    return checkin, False


def checkin_scan(*, event_id, actor, code, gate, nonce, scanned_at=None):
    """Check a ticket in at the event's door (module docstring). Returns (check-in, replayed)."""
    event = event_for_door(event_id=event_id, actor=actor)
    return _scan(event, actor, code=code, gate=gate, nonce=nonce, scanned_at=scanned_at)


def checkin_batch(*, event_id, actor, scans):
    """Scans made offline, in order; [(status, check-in or DomainError)], one per scan, each
    what the scan alone would have answered. Safe to send again."""
    event = event_for_door(event_id=event_id, actor=actor)
    answers = []
    for scan in scans:
        try:
            checkin, replayed = _scan(event, actor, **scan)
        except DomainError as refusal:
            answers.append((refusal.status_code, refusal))
            continue
        answers.append((201, checkin))
    return answers


def _user_by_email(email):
    return collection("users").find_one({"email": email.strip().lower()}, {"email": 1, "name": 1, "is_active": 1})


def door_staff_grant(*, event_id, actor, email):
    """Let the account with `email` check tickets in at the event. Returns (grant, created):
    granting again keeps the first grant."""
    event = event_for_organizer(event_id=event_id, actor=actor)
    user = _user_by_email(email)
    if user is None:
        raise UserNotFound()
    if user["_id"] == event["organizer_id"]:
        raise GrantToOrganizer()
    grant = {"event_id": event_id, "user_id": user["_id"], "granted_by_id": actor.pk, "granted_at": now()}
    try:
        door_staff().insert_one(grant)
        created = True
    except DuplicateKeyError:
        grant = door_staff().find_one({"event_id": event_id, "user_id": user["_id"]})
        created = False
    return {**grant, "email": user["email"], "name": user["name"]}, created


def door_staff_revoke(*, event_id, actor, email):
    """Take the grant back: the account's next scan at this event is refused (403)."""
    event_for_organizer(event_id=event_id, actor=actor)
    user = _user_by_email(email)
    if user is None or not door_staff().delete_one({"event_id": event_id, "user_id": user["_id"]}).deleted_count:
        raise DoorStaffNotFound()
