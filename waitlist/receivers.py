"""The waiting list's receivers of bookings' signals (bookings/signals.py), connected in
WaitlistConfig.ready: seats freed go to the line first, an offer's entry follows its hold,
a cancelled event's line closes, and the reconciler's pass runs the line's."""

from waitlist.line import entry_follow, line_close
from waitlist.offers import seats_freed, waitlist_reconcile


def offer_freed_seats(sender, *, event_id, type_id, **kwargs):
    """seats_freed -> offers to the line, in order; how many were made."""
    return seats_freed(event_id=event_id, type_id=type_id)


def entry_follows_hold(sender, *, hold, **kwargs):
    """hold_ended -> the offer's entry follows its hold (BOOKED, EXPIRED, LEFT...)."""
    entry_follow(hold=hold)


def line_closes(sender, *, event_id, at, **kwargs):
    """event_closing -> the line's entries become CLOSED; the customers whose entry closed."""
    return line_close(event_id=event_id, at=at)


def line_reconciles(sender, *, older_than_seconds, **kwargs):
    """reconcile_pass -> offers expired, owed seats offered, offers announced; counts."""
    return waitlist_reconcile(older_than_seconds=older_than_seconds)
