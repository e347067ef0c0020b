"""Seat holds: seats taken off sale for HOLD_MINUTES while a customer checks out
(package docstring, "Holds").

A hold is a document of the `holds` collection (bookings/models.py Hold):
{_id: "HLD-0001", event_id, customer_id, type, qty, unit_price_cents, expires_at, at, entry,
state, ended_at, booking}. States: LIVE -> RELEASED (given back), EXPIRED, BOOKED (claimed;
`booking` names the booking) or CLOSED (its event was cancelled); VOID fences an id whose
hold never landed. Only LIVE holds count: their seats are the event's and the type's
`seats_held` (events/ledger.py). The event document keeps the counters and, while a step is
in flight, a marker {kind: "hold", hold, then, type, qty, at} in its bounded `pending` list;
at most one step of a hold is in flight at a time (each pushes its marker only while no
other marker names the hold). The steps:
 - create (then LIVE): the event update of a booking's filter (PUBLISHED, future start, the
   type as read with seats enough and nobody on its waiting list) moves seats on sale ->
   held and pushes the marker | the hold is inserted (the commit point) | the marker is
   pulled. Then the per-customer cap: the customer's live held seats of the event, counted
   after the insert, must be <= HOLD_MAX_SEATS_PER_CUSTOMER, else the hold is released and
   refused (of racing holds, the last to insert sees all the others, so the cap holds at rest).
 - release (DELETE /holds/:id) and expiry (the reconciler), then RELEASED / EXPIRED: marker
   pushed | hold LIVE -> then (commit; expiry also requires expires_at passed) | held ->
   on sale, marker pulled.
 - claim (POST /bookings {holdId}, reserve.py): the booking's marker pushed, naming the hold
   (no seats move yet) | hold LIVE -> BOOKED (commit: claimed at most once) | held -> sold,
   the marker's `hold` cleared: from there on it is a booking marker (markers.py), and if the
   booking fails before its insert lands its rollback puts the seats on sale, not back under
   the hold (the customer got an error, no booking).
settle_hold_marker and settle_claim_marker do what a marker says is still owed when its
request died: fence the hold (or booking) id, then finish or undo.
A new hold whose id is already another hold's (a counter that fell behind, eventbooking/ids.py)
takes a fresh id, its marker following first; a create marker whose id names a hold made at
another moment is settled as a hold never made (its seats back, the other hold untouched).
A hold offered by the waiting list (`entry` set) is the waitlist's to expire or give back
(waitlist/offers.py); release and expiry here leave it alone.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from pymongo.errors import DuplicateKeyError

from bookings.faults import fault
from bookings.services import markers
from bookings.services.markers import BOOK, fence, marker_key, seats_of, settle_quietly

# A hold is refused for the reasons a booking is, checked the same way (one package).
from bookings.services.reserve import _check_bookable as check_bookable
from bookings.services.reserve import _not_open as not_open
from bookings.services.reserve import _started as started
from bookings.services.reserve import _type_as_read as type_as_read
from eventbooking.errors import Conflict, DomainError, NotFound
from eventbooking.ids import HOLD, HOLD_ID, IdTaken, insert_with_fresh_id, next_public_id
from eventbooking.mongo import collection, events
from eventbooking.timeutil import now
from events import ledger
from events.models import EventStatus
from events.store import NO_MARKERS, event_find_one_and_update, event_update_one

log = logging.getLogger(__name__)

PUBLISHED = EventStatus.PUBLISHED.value
ATTEMPTS = 10
# How long a step waits for another step of the same hold to finish.
WAIT_SECONDS = 10
# What a hold shows of its event (answers, ownership), without anyone else's holds or markers.
HOLD_EVENT = {"title": 1, "starts_at": 1, "status": 1, "types": 1}
LIVE, RELEASED, EXPIRED, BOOKED, CLOSED, VOID = "LIVE", "RELEASED", "EXPIRED", "BOOKED", "CLOSED", "VOID"
HOLD_MARKER = "hold"


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message = "No such hold (it may have been booked, released or expired)."


class HoldExpired(Conflict):
    code = "hold_expired"
    message = "This hold has expired; its seats went back on sale."


class HoldLimitReached(Conflict):
    code = "hold_limit_reached"


class HoldMismatch(DomainError):
    code = "hold_mismatch"


class HoldIsOffer(Conflict):
    code = "hold_is_waitlist_offer"
    message = "This hold is a waiting-list offer: book it, or leave the waiting list to decline it."


# Called with (event_id=, type_id=) whenever seats come back on sale, returning how many
# offers were made: the waiting list registers its seats_freed here at start-up
# (waitlist/apps.py), so bookings needs nothing of the waitlist app.
seat_listeners = []


def on_seats_freed(*, event_id, type_id):
    """The hook called after seats of `type_id` come back on sale (a hold released or
    expired, a booking cancelled or rolled back, a capacity raised): the waiting list
    has them first. Returns how many offers were made."""
    return sum(listener(event_id=event_id, type_id=type_id) for listener in seat_listeners)


def seats_freed_quietly(*, event_id, type_id):
    """on_seats_freed; 0 when it failed (logged)."""
    try:
        return on_seats_freed(event_id=event_id, type_id=type_id)
    except Exception:  # noqa: BLE001 - the seats are back either way; the reconciler's pass offers them again
        log.exception("offering the freed seats of %s %s failed", event_id, type_id)
        return 0


# Storage ---------------------------------------------------------------------------


def holds():
    return collection("holds")


def hold_insert(doc):
    """The one insert of a hold (or of its VOID fence). Raises DuplicateKeyError when its id is taken."""
    holds().insert_one(doc)


def hold_fence(*, hold_id, event_id):
    """Make sure `hold_id` never becomes a hold. True when it is fenced (or was)."""
    try:
        hold_insert({"_id": hold_id, "event_id": event_id, "state": VOID})
        return True
    except DuplicateKeyError:
        found = holds().find_one({"_id": hold_id}, {"state": 1})
        return found is not None and found["state"] == VOID


def hold_document(*, hold_id, event_id, customer_id, ticket_type, qty, expires_at, at, entry=None):
    return {
        "_id": hold_id, "event_id": event_id, "customer_id": customer_id, "type": ticket_type["id"], "qty": qty,
        "unit_price_cents": ticket_type["price_cents"], "expires_at": expires_at, "at": at, "entry": entry,
        "state": LIVE, "ended_at": None, "booking": None,
    }


def shown(doc):
    """A stored hold with `id` (the API's name for _id)."""
    return {**{key: value for key, value in doc.items() if key != "_id"}, "id": doc["_id"]}


def live_holds(event_id):
    """The event's live holds, as shown."""
    return [shown(doc) for doc in holds().find({"event_id": event_id, "state": LIVE})]


# Markers -----------------------------------------------------------------------------


def hold_marker(hold, then, at):
    return {"kind": HOLD_MARKER, "hold": hold["_id"] if "_id" in hold else hold["id"], "then": then,
            "type": hold["type"], "qty": hold["qty"], "at": at}


def _key(marker):
    return {"kind": HOLD_MARKER, "hold": marker["hold"], "at": marker["at"]}


def _pull(event_id, key, move=None, more=None):
    """Pull the marker matched by `key`, with `move` and `more`, once. True when this call did."""
    extra = dict(more or {})
    update, filters = ledger.with_(move or ledger.nothing(), {**extra, "$pull": {**extra.get("$pull", {}), "pending": key}})
    done = event_update_one({"_id": event_id, "pending": {"$elemMatch": key}}, update, array_filters=filters)
    return done.modified_count == 1


def _mark(event_id, hold_id, marker, query=None):
    """Push `marker`, once no other step of the hold (or of its entry) is in flight; wait for
    one that is. False when the hold is no longer live."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        condition = {"_id": event_id, "pending.hold": {"$ne": hold_id}, **(query or {})}
        if event_update_one(condition, {"$push": {"pending": marker}}).modified_count:
            return True
        if holds().find_one({"_id": hold_id, "state": LIVE}, {"_id": 1}) is None:
            return False
        if time.monotonic() > deadline:
            raise Conflict("This hold is being changed by another request; retry shortly.", code="event_busy")
        _settle_stale(event_id, hold_id)
        time.sleep(0.02)


def _settle_stale(event_id, hold_id):
    """Settle the markers naming `hold_id` whose request must have died."""
    cutoff = now() - timedelta(seconds=settings.RECONCILE_AFTER_SECONDS)
    event = events().find_one({"_id": event_id, "pending.hold": hold_id}, {"pending": 1})
    for marker in event["pending"] if event else []:
        if marker.get("hold") == hold_id and marker["at"] <= cutoff:
            markers.settle_marker(event_id, marker)


# Called with (hold=) once a hold offered by the waiting list (`entry` set) has ended: the
# waiting list registers how its entry follows (waitlist/apps.py). Its own reconcile pass
# catches up with any a crash left behind.
hold_end_listeners = []


def _ended(hold_id):
    doc = holds().find_one({"_id": hold_id})
    if doc is None or doc.get("entry") is None or doc["state"] == LIVE:
        return
    for listener in hold_end_listeners:
        try:
            listener(hold=doc)
        except Exception:  # noqa: BLE001 - the entry catches up in the waiting list's reconcile pass
            log.exception("the waiting-list entry of the hold %s did not follow it", hold_id)


def _end_commit(marker):
    """Step 2 of a release or expiry: LIVE -> then. True when the hold ended under this marker."""
    query = {"_id": marker["hold"], "state": LIVE}
    if marker["then"] == EXPIRED:
        query["expires_at"] = {"$lte": marker["at"]}
    holds().update_one(query, {"$set": {"state": marker["then"], "ended_at": marker["at"]}})
    return holds().find_one({"_id": marker["hold"], "state": marker["then"], "ended_at": marker["at"]}, {"_id": 1}) is not None


def settle_hold_marker(event_id, marker):
    """Do what a hold's marker says is still owed (module docstring): kept, restored,
    released, dropped."""
    if marker["then"] == LIVE:
        doc = holds().find_one({"_id": marker["hold"]}, {"state": 1, "event_id": 1, "at": 1})
        if doc is None and not hold_fence(hold_id=marker["hold"], event_id=event_id):
            return settle_hold_marker(event_id, marker)
        if doc is None or doc["state"] == VOID or not _made_under(doc, event_id, marker):
            # Never made; or the id is another hold's (a counter that fell behind,
            # eventbooking/ids.py): ours never landed, and the other one is not touched.
            _pull(event_id, _key(marker), ledger.release(type_id=marker["type"], qty=marker["qty"]))
            return "restored"
        _pull(event_id, _key(marker))
        return "kept"
    if _end_commit(marker):
        fault("hold_end_after_commit")
        _pull(event_id, _key(marker), ledger.release(type_id=marker["type"], qty=marker["qty"]))
        return "released"
    _pull(event_id, _key(marker))
    return "dropped"


def _made_under(doc, event_id, marker):
    """Whether the stored hold `doc` is the one a marker was pushed for (made at its moment)."""
    return doc.get("event_id") == event_id and doc.get("at") == marker["at"]


def settle_claim_marker(event_id, marker):
    """A claim whose seats have not moved yet (its marker still names the hold): the booking id
    is fenced, the hold spent, and its seats put on sale, as a failed booking from a hold does."""
    booking_id, at = marker["booking"], marker["at"]
    key = {"booking": booking_id, "at": at, "hold": marker["hold"]}
    fence(booking_id, event_id)
    holds().update_one({"_id": marker["hold"], "state": LIVE}, {"$set": {"state": BOOKED, "booking": booking_id, "ended_at": at}})
    if holds().find_one({"_id": marker["hold"], "state": BOOKED, "booking": booking_id}, {"_id": 1}) is None:
        _pull(event_id, key)
        return "dropped"
    _pull(event_id, key, ledger.release(type_id=marker["type"], qty=marker["qty"]))
    _ended(marker["hold"])
    return "restored"


markers.settlers[HOLD_MARKER] = settle_hold_marker
markers.settlers["claim"] = settle_claim_marker


# Create ------------------------------------------------------------------------------


def hold_create(*, customer, event_id, qty, ticket_type_id=None):
    """Hold `qty` seats of a ticket type (None: the event's only type) for HOLD_MINUTES
    (never past the event's start or the type's sales end). Refused for the reasons a booking is, and when the
    customer would hold more than HOLD_MAX_SEATS_PER_CUSTOMER seats of the event.
    Returns (hold, event)."""
    most = settings.HOLD_MAX_SEATS_PER_CUSTOMER
    hold_id = next_public_id(HOLD)
    for _ in range(ATTEMPTS):
        event = events().find_one({"_id": event_id}, NO_MARKERS)
        ticket_type = check_bookable(event, qty, ticket_type_id)
        moment = now()
        if _seats_held_by(event_id, customer.pk, moment) + qty > most:
            raise _over(most, _seats_held_by(event_id, customer.pk, moment))
        hold = hold_document(hold_id=hold_id, event_id=event_id, customer_id=customer.pk, ticket_type=ticket_type, qty=qty,
                             expires_at=_expiry(moment, event, ticket_type), at=moment)
        marker = hold_marker(hold, LIVE, moment)
        update, filters = ledger.with_(ledger.hold(type_id=hold["type"], qty=qty), {"$push": {"pending": marker}})
        held = event_find_one_and_update(
            {
                "_id": event_id,
                "status": PUBLISHED,
                "starts_at": {"$gt": moment},
                "seats_available": {"$gte": qty},
                "types": type_as_read(ticket_type, qty),
            },
            update,
            projection=NO_MARKERS,
            array_filters=filters,
        )
        if held is not None:
            break
        # Not matched: the next read says why, or the type changed under us and we go again.
    else:
        raise Conflict("The event kept changing while holding seats; try again.", code="event_busy")
    try:
        fault("hold_after_take")
        hold = _insert(hold, event_id, marker)
    except Exception as exc:
        settle_quietly(event_id, marker)  # the insert may have landed: settling decides
        if isinstance(exc, (DuplicateKeyError, IdTaken)):
            raise Conflict("The event changed while holding seats; try again.", code="event_busy") from None
        raise
    fault("hold_after_insert")
    _pull(event_id, _key(marker))
    already = _seats_held_by(event_id, customer.pk, moment) - qty
    if already + qty > most:
        # A racing hold of the same customer landed meanwhile: the last one in gives way.
        _end(event_id, hold, then=RELEASED)
        raise _over(most, already)
    try:
        fault("after_hold")
    except Exception:
        # Undone: the customer is told it failed. (A process killed here leaves the hold to expire.)
        _end(event_id, hold, then=RELEASED)
        raise
    return shown(hold), held


def _insert(hold, event_id, marker):
    """Insert a new hold; if its id is already another hold's (a counter that fell behind),
    under a fresh id, its marker following it first (eventbooking/ids.py). Our id fenced by
    a settler, or the marker gone meanwhile: IdTaken, nothing inserted."""

    def ours(existing):
        return existing.get("state") != VOID and _made_under(existing, event_id, marker)

    def follow(old, new):
        if holds().find_one({"_id": old, "state": VOID}, {"_id": 1}) is not None:
            return False  # fenced: a settler took this request for dead
        moved = event_update_one(
            {"_id": event_id, "pending": {"$elemMatch": _key(marker)}},
            {"$set": {"pending.$[m].hold": new}},
            array_filters=[{"m.kind": HOLD_MARKER, "m.hold": old, "m.at": marker["at"]}],
        )
        if not moved.matched_count:
            return False
        log.warning("hold id %s was already another hold's: this hold takes %s", old, new)
        marker["hold"] = new
        return True

    return insert_with_fresh_id(holds(), hold, prefix=HOLD, ours=ours, renamed=follow)


def _over(most, already):
    return HoldLimitReached(
        f"You may hold at most {most} seats of this event at once; you hold {already}.", max_held_seats=most, seats_held=already
    )


def _expiry(moment, event, ticket_type):
    """HOLD_MINUTES from now, but never past the event's start or the end of the type's sales:
    a hold is booked under the conditions it was taken in."""
    ends = [moment + timedelta(minutes=settings.HOLD_MINUTES), event["starts_at"], ticket_type["sales_end"]]
    return min(end for end in ends if end is not None)


def _seats_held_by(event_id, customer_id, moment):
    live = holds().find({"customer_id": customer_id, "event_id": event_id, "state": LIVE, "expires_at": {"$gt": moment}}, {"qty": 1})
    return sum(doc["qty"] for doc in live)


# Read ----------------------------------------------------------------------------------


def _find(hold_id, customer):
    """(event, hold) of the customer's live hold; 404 when there is none (or it is someone else's)."""
    hold = holds().find_one({"_id": hold_id}) if HOLD_ID.fullmatch(hold_id) else None
    if hold is None or hold["state"] != LIVE or hold["customer_id"] != customer.pk:
        raise HoldNotFound()
    event = events().find_one({"_id": hold["event_id"]}, HOLD_EVENT)
    return event, hold


def hold_get(*, hold_id, customer):
    """(hold, event) of the customer's live hold."""
    event, hold = _find(hold_id, customer)
    return shown(hold), event


def hold_list_mine(*, customer):
    """[(hold, event)] of the customer's live holds, oldest first."""
    mine = list(holds().find({"customer_id": customer.pk, "state": LIVE, "expires_at": {"$gt": now()}}))
    event_ids = sorted({hold["event_id"] for hold in mine})
    by_id = {event["_id"]: event for event in events().find({"_id": {"$in": event_ids}}, HOLD_EVENT)} if event_ids else {}
    pairs = [(shown(hold), by_id[hold["event_id"]]) for hold in mine if hold["event_id"] in by_id]
    return sorted(pairs, key=lambda pair: (pair[0]["at"], pair[0]["id"]))


# Release, expiry ------------------------------------------------------------------------


def _end(event_id, hold, *, then, at=None):
    """End a live hold (RELEASED, or EXPIRED once expired): marker, commit, seats back. True when
    this call ended it; then its seats go to the line first."""
    marker = hold_marker(hold, then, at or now())
    if not _mark(event_id, marker["hold"], marker):
        return False
    fault("hold_end_after_mark")
    if settle_hold_marker(event_id, marker) != "released":
        return False
    _ended(marker["hold"])
    seats_freed_quietly(event_id=event_id, type_id=hold["type"])
    return True


def hold_end(*, event_id, hold, then, at=None):
    """End a live hold as `then` (RELEASED; EXPIRED only once expired by `at`): the waiting
    list's offers end this way. True when this call ended it."""
    return _end(event_id, hold, then=then, at=at)


def hold_release(*, hold_id, customer):
    """The customer gives a hold's seats back (DELETE /holds/:id)."""
    event, hold = _find(hold_id, customer)
    if hold.get("entry") is not None:
        raise HoldIsOffer()
    if not _end(event["_id"], hold, then=RELEASED):
        raise HoldNotFound()  # booked or released by a racing request meanwhile


def holds_expire():
    """Release every expired hold (the reconciler's pass); returns how many."""
    moment = now()
    released = 0
    for hold in holds().find({"state": LIVE, "expires_at": {"$lte": moment}, "entry": None}):
        try:
            released += _end(hold["event_id"], hold, then=EXPIRED, at=moment)
        except Exception:  # noqa: BLE001 - one bad hold must not stop the pass
            log.exception("could not release the expired hold %s of %s", hold["_id"], hold["event_id"])
    return released


def holds_close(*, event_id, at):
    """A cancelled event's live holds end CLOSED (its counters are zeroed by the cascade after this)."""
    holds().update_many({"event_id": event_id, "state": LIVE}, {"$set": {"state": CLOSED, "ended_at": at}})


# Claim ------------------------------------------------------------------------------------


def hold_booking_rename(*, hold_id, old, new):
    """The booking claimed from a spent hold took a fresh id (its first was another
    booking's, eventbooking/ids.py): the hold names the booking's real id. True when it does."""
    holds().update_one({"_id": hold_id, "state": BOOKED, "booking": old}, {"$set": {"booking": new}})
    return holds().find_one({"_id": hold_id, "state": BOOKED, "booking": new}, {"_id": 1}) is not None


def _check_matches(event, hold, expect):
    held = {"event_id": ("eventId", event["_id"]), "qty": ("qty", hold["qty"]), "ticket_type_id": ("ticketTypeId", hold["type"])}
    for name, (field, value) in held.items():
        if expect.get(name) is not None and expect[name] != value:
            raise HoldMismatch(f"The hold is for {field} {value}; leave {field} out or give that.", field=field)


def hold_claim(*, customer, hold_id, booking_id, expect=None):
    """The reservation step of a booking made from a hold (reserve.py): the hold's seats
    become the booking's, under its `pending` marker. `expect`: eventId, qty and
    ticketTypeId the request also gave (None: not given), which must be the hold's.
    Returns (event after, ticket type, marker). 404 hold_not_found, 400 hold_mismatch,
    409 hold_expired, event_not_bookable, event_started."""
    for _ in range(ATTEMPTS):
        event, hold = _find(hold_id, customer)
        _check_matches(event, hold, expect or {})
        moment = now()
        if event["status"] != PUBLISHED:
            raise not_open(event["status"])
        if event["starts_at"] <= moment:
            raise started()
        if hold["expires_at"] <= moment:
            if hold.get("entry") is None:
                _end(event["_id"], hold, then=EXPIRED, at=moment)
            raise HoldExpired()
        ticket_type = next(t for t in event["types"] if t["id"] == hold["type"])
        qty, price = hold["qty"], hold["unit_price_cents"]
        marker = {"booking": booking_id, "type": hold["type"], "qty": qty, "amount_cents": qty * price, "at": moment, "hold": hold_id, "op": BOOK}
        busy = {"status": PUBLISHED, "starts_at": {"$gt": moment}}
        if hold.get("entry") is not None:
            busy["pending.entry"] = {"$ne": hold["entry"]}
        if not _mark(event["_id"], hold_id, marker, busy):
            continue  # the hold ended meanwhile: the next read says how
        try:
            fault("claim_after_mark")
            spent = holds().update_one(
                {"_id": hold_id, "state": LIVE, "customer_id": customer.pk, "expires_at": {"$gt": moment}},
                {"$set": {"state": BOOKED, "booking": booking_id, "ended_at": moment}},
            )
            if not spent.modified_count:
                _pull(event["_id"], marker_key(marker) | {"hold": hold_id})
                continue  # expired or ended meanwhile: the next read says which
            fault("claim_after_spend")
            update, filters = ledger.with_(
                ledger.claim(**seats_of(marker)), {"$set": {"pending.$[m].hold": None}}, array_filters=[{"m.booking": booking_id}]
            )
            reserved = event_find_one_and_update(
                {"_id": event["_id"], "pending": {"$elemMatch": {"booking": booking_id, "at": moment, "hold": hold_id}}},
                update, projection=NO_MARKERS, array_filters=filters,
            )
        except Exception:
            settle_quietly(event["_id"], marker)
            raise
        if reserved is None:
            # A settler took the claim for dead meanwhile: the hold is spent, its seats on sale.
            raise Conflict("The event changed while booking; try again.", code="event_busy")
        _ended(hold_id)
        return reserved, ticket_type, {**marker, "hold": None}
    raise Conflict("The event kept changing while booking; try again.", code="event_busy")
