"""Fault injection at the checkpoints of the booking protocol (shared/testhooks.py).

`BOOKING_FAULT_INJECTION` names points of the booking protocol (bookings/services/), comma-separated:
`after_reserve` raises there, `crash:after_reserve` ends the process on the spot
(os._exit, no cleanup, like a power cut); a suffix `@N` fires on the Nth pass
only (`crash:after_insert@5`), so requests before it complete. Points: after_reserve, after_insert,
after_notice (the organizer's notice recorded, the marker not pulled), after_unmark, cancel_after_mark, cancel_after_flip, cascade_after_flip, after_hold (a hold taken,
not yet answered). A booking made from a hold passes the booking's points after its claim.
Of the waiting list (waitlist/offers.py, services.py, protocol.py): waitlist_before_offer,
waitlist_offer_after_hold (seats held, entry not yet offered), waitlist_offer_after_commit (offered,
its counter and marker not yet settled), waitlist_after_offer (offered, nobody told),
waitlist_join_after_count (counted in, entry not inserted), waitlist_join_after_insert (inserted,
marker not pulled), waitlist_leave_after_mark, waitlist_leave_after_commit (left, not yet
uncounted). Of holds (bookings/services/holds.py, hold_store.py, hold_claim.py): hold_after_take (seats held, hold not inserted),
hold_after_insert (inserted, marker not pulled), hold_end_after_mark (a release or expiry marked,
the hold still live), hold_end_after_commit (ended, seats not yet back), claim_after_mark (a booking
from a hold marked, the hold not yet spent), claim_after_spend (spent, seats not yet sold).

Honoured only when DEBUG or TESTING is on; settings refuse to start a
production process (both off) with the variable set.
"""

import os
import threading
from collections import Counter

from django.conf import settings

POINTS = {
    "after_reserve", "after_insert", "after_notice", "after_unmark", "cancel_after_mark", "cancel_after_flip", "cascade_after_flip", "after_hold",
    "waitlist_before_offer", "waitlist_after_offer", "waitlist_offer_after_hold", "waitlist_offer_after_commit",
    "waitlist_join_after_count", "waitlist_join_after_insert", "waitlist_leave_after_mark", "waitlist_leave_after_commit",
    "hold_after_take", "hold_after_insert", "hold_end_after_mark", "hold_end_after_commit", "claim_after_mark",
    "claim_after_spend",
}


_passes = Counter()
_lock = threading.Lock()


class InjectedFault(RuntimeError):
    pass


def fault(point):
    spec = settings.BOOKING_FAULT_INJECTION
    if not spec or not (settings.DEBUG or settings.TESTING):
        return
    for item in spec.split(","):
        item, _, nth = item.strip().partition("@")
        crash, _, name = item.rpartition(":")
        if name not in POINTS:
            raise ValueError(f"unknown fault point {name!r}; known: {sorted(POINTS)}")
        if name != point:
            continue
        with _lock:
            _passes[item] += 1
            if nth and _passes[item] != int(nth):
                continue
        if crash == "crash":
            os._exit(99)
        raise InjectedFault(point)
