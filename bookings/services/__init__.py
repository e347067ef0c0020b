"""Booking writes, correct without transactions: the booking protocol.

The invariant, for every event at rest (and for each of its ticket types):
    capacity == seats_available + seats_held + sum(qty of its CONFIRMED bookings),
tickets_sold / revenue_cents are the sums of qty / amount_cents over them, and
seats_held the sum of qty over the event's LIVE holds (the `holds` collection).

Seats only move in one conditional update of the event document (written through
events/store.py, which keeps the event cache right), by a named move of the seat
ledger (events/ledger.py: take, give_back, hold, release, claim, queue, dequeue),
which also pushes or pulls a marker in its `pending` list. A marker says "seats are
in flight for this booking id" (markers.py), or for a hold (holds.py) or a waiting-list
entry (waitlist/protocol.py); markers leave within seconds, so `pending` stays small.

Booking (reserve.py, booking_create)
 1. Reserve: seats down, sold and revenue up, marker pushed, in one update whose
    filter requires PUBLISHED, a future start, enough seats and the price read.
 2. Insert the booking, created_at == marker.at. This is the commit point.
 3. Record the organizer's notice, then pull the marker. The pull alone is written
    with j:false (events.store): lost with the database, the marker is back and
    the reconciler settles it as kept, recording the notice if it is missing.
 Failing before the insert lands (the rollback): the booking id is fenced with a
 VOID tombstone (same _id, so a late insert of the booking can never land), then
 the seats are restored and the marker pulled in one update conditional on the marker.
 With an Idempotency-Key (idempotency.py), a unique (customer, key) row decides
 which request books; the others return its booking.

Cancelling (cancel.py, booking_cancel)
 1. Push a marker (counters unchanged) unless the booking has one already.
 2. Flip the booking CONFIRMED -> CANCELLED with cancelled_at == marker.at; the
    update is conditional on CONFIRMED, so one request wins. The commit point.
 3. Return the seats and pull the marker in one update conditional on the marker.

So a marker always says what is still owed (markers.settle_marker); it says whose it
is too (`op`: "book" or "cancel"):
 - booking absent or VOID: an interrupted booking -> fence, restore the seats;
 - CONFIRMED, created_at == at: a settled booking -> pull the marker;
 - a booking's marker whose id is another booking's (a counter that fell behind,
   shared/ids.py) -> restore the seats; the other booking is not touched;
 - CONFIRMED otherwise: an interrupted cancellation -> finish it (flip, release);
 - CANCELLED, cancelled_at == at: a committed cancellation -> release;
 - CANCELLED otherwise: a cancellation that lost a race -> pull the marker.
The request that made a marker settles it; the reconciler (reconcile.py, run by
`manage.py reconcile_bookings`) settles markers older than RECONCILE_AFTER_SECONDS
(their request died). Both may act at the same time: every step is conditional,
so the second one changes nothing.

Holds (holds.py): a hold is a document of its own; its seats are counted held in the event.
Create: available -> held with a marker, in one update with a booking's conditions | the
hold inserted (commit) | marker pulled; then the per-customer cap, counted after the insert.
DELETE and expiry (the reconciler): marker | hold LIVE -> RELEASED/EXPIRED (commit) | held
-> available, marker pulled. A booking made from a hold (POST /bookings {holdId}) replaces
step 1 by: the booking's marker pushed naming the hold | the hold LIVE -> BOOKED (commit:
claimed at most once) | held -> sold, the marker's hold cleared; steps 2 and 3 and their
rollback follow unchanged (a rollback puts the seats on sale: the hold is spent). Only
one step of a hold is in flight at a time (a marker naming it excludes the others). After
seats come back on sale, signals.seats_freed tells the waiting list (bookings/signals.py).

Cancelled events (cascade.py): events.services.event_cancel is the one way to cancel
an event (the API and the admin call it): the event's transition, then its signal
event_cancelled, on which bookings runs bookings_cancel_for_event (receivers.py). No
marker can be added to a cancelled event, so the cascade flips every CONFIRMED
booking, settles the markers left, and then sets the counters to "nothing sold"
in one update that requires `pending == []` (after closing the event's live holds and its line). A booking that lands on an event cancelled meanwhile runs the
cascade again; the reconciler finishes any cascade that stopped.
"""

from bookings.services.cancel import booking_cancel
from bookings.services.cascade import bookings_cancel_for_event
from bookings.services.reconcile import bookings_reconcile
from bookings.services.reserve import booking_create

__all__ = ["booking_cancel", "booking_create", "bookings_cancel_for_event", "bookings_reconcile"]
