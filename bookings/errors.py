"""The bookings app's domain errors: one class per error code, raised wherever the code
is answered (shared/errors.py turns them into the one error shape). The event's own
refusals (event_not_found, event_started, event_cancelled, event_busy) are events/errors.py's."""

from shared.errors import Conflict, DomainError, NotFound, Unprocessable


class EventNotBookable(Conflict):
    code = "event_not_bookable"


class NotEnoughSeats(Conflict):
    code = "not_enough_seats"


class TicketTypeNotOnSale(Conflict):
    code = "ticket_type_not_on_sale"


class OverTypeMaximum(Conflict):
    code = "over_ticket_type_maximum"


class SeatsOwedToWaitlist(Conflict):
    code = "seats_owed_to_waitlist"


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message = "No such booking."


class BookingAlreadyCancelled(Conflict):
    code = "booking_already_cancelled"
    message = "This booking is already cancelled."


class BookingBusy(Conflict):
    code = "booking_busy"
    message = "This booking is being changed by another request; retry shortly."


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


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
