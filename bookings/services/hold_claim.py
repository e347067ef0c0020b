"""A booking made from a hold: its reservation step (holds.py's module docstring, "claim";
the booking's own steps follow in reserve.py)."""

from bookings.errors import HoldExpired, HoldMismatch
from shared.testhooks import checkpoint
from bookings.rules import PUBLISHED, check_on_sale
from bookings.services.hold_store import BOOKED, EXPIRED, LIVE, hold_ended, hold_find_live, hold_mark, hold_marker_pull, holds
from bookings.services.holds import ATTEMPTS, hold_end
from bookings.services.markers import BOOK, marker_key, seats_of, settle_quietly
from shared.timeutil import now
from events import ledger
from events.errors import EventBusy
from events.store import NO_MARKERS, event_find_one_and_update


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
        event, hold = hold_find_live(hold_id=hold_id, customer=customer)
        _check_matches(event, hold, expect or {})
        moment = now()
        check_on_sale(event, moment)
        if hold["expires_at"] <= moment:
            if hold.get("entry") is None:
                hold_end(event_id=event["_id"], hold=hold, then=EXPIRED, at=moment)
            raise HoldExpired()
        ticket_type = next(t for t in event["types"] if t["id"] == hold["type"])
        qty, price = hold["qty"], hold["unit_price_cents"]
        marker = {"booking": booking_id, "type": hold["type"], "qty": qty, "amount_cents": qty * price, "at": moment, "hold": hold_id, "op": BOOK}
        busy = {"status": PUBLISHED, "starts_at": {"$gt": moment}}
        if hold.get("entry") is not None:
            busy["pending.entry"] = {"$ne": hold["entry"]}
        if not hold_mark(event["_id"], hold_id, marker, busy):
            continue  # the hold ended meanwhile: the next read says how
        try:
            checkpoint("claim_after_mark")
            spent = holds().update_one(
                {"_id": hold_id, "state": LIVE, "customer_id": customer.pk, "expires_at": {"$gt": moment}},
                {"$set": {"state": BOOKED, "booking": booking_id, "ended_at": moment}},
            )
            if not spent.modified_count:
                hold_marker_pull(event["_id"], marker_key(marker) | {"hold": hold_id})
                continue  # expired or ended meanwhile: the next read says which
            checkpoint("claim_after_spend")
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
            raise EventBusy("The event changed while booking; try again.")
        hold_ended(hold_id)
        return reserved, ticket_type, {**marker, "hold": None}
    raise EventBusy("The event kept changing while booking; try again.")
