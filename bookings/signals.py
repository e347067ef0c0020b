"""What bookings tells the apps built on it, as Django signals: bookings imports none of
them; each receiver connects in its own AppConfig.ready (docs/architecture.md, "Signals").
The sender is always SENDER; the send_ helpers here are the one way bookings sends them."""

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

SENDER = "bookings"

# Seats of a ticket type came back on sale: a hold released or expired, a booking cancelled
# or rolled back, a capacity raised. Arguments event_id=, type_id= (None: any type). A
# receiver returns how many offers it made of them (the waiting list offers them first).
seats_freed = Signal()

# A hold offered by a receiver (its `entry` set) has ended (booked, released, expired).
# Argument hold= (the stored document). The waiting list's entry follows it.
hold_ended = Signal()

# A cancelled event has no marker left; its counters are zeroed next. Arguments event_id=,
# at=. A receiver closes what it keeps of the event and returns the ids of the customers
# whose place it closed.
event_closing = Signal()

# One pass of the reconciler. Argument older_than_seconds=. A receiver settles what its
# requests left behind and returns counts (a dict), added to the pass's.
reconcile_pass = Signal()


def seats_freed_send(*, event_id, type_id):
    """Send seats_freed; how many offers the receivers made."""
    return sum(made or 0 for _, made in seats_freed.send(sender=SENDER, event_id=event_id, type_id=type_id))


def seats_freed_quietly(*, event_id, type_id):
    """seats_freed_send; 0 when a receiver failed (logged)."""
    try:
        return seats_freed_send(event_id=event_id, type_id=type_id)
    except Exception:  # noqa: BLE001 - the seats are back either way; the reconciler's pass offers them again
        log.exception("offering the freed seats of %s %s failed", event_id, type_id)
        return 0


def hold_ended_send(*, hold):
    """Send hold_ended; a receiver's failure is logged (its own reconcile pass catches up)."""
    try:
        hold_ended.send(sender=SENDER, hold=hold)
    except Exception:  # noqa: BLE001 - the entry catches up in the waiting list's reconcile pass
        log.exception("the waiting-list entry of the hold %s did not follow it", hold["_id"])


def event_closing_send(*, event_id, at):
    """Send event_closing; the customer ids the receivers returned."""
    closed = []
    for _, customers in event_closing.send(sender=SENDER, event_id=event_id, at=at):
        closed += customers or []
    return closed


def reconcile_pass_send(*, older_than_seconds):
    """Send reconcile_pass; the receivers' counts."""
    return [counts or {} for _, counts in reconcile_pass.send(sender=SENDER, older_than_seconds=older_than_seconds)]
