"""The one place that sends notifications (being built: see issue 5).

Callers: bookings.services. A failure here must never undo or delay a booking,
so callers invoke these after the booking is settled, and these never raise."""


def notify_booking_created(*, booking, event):
    pass


def notify_booking_cancelled(*, booking, event):
    pass


def notify_event_cancelled(*, event, customer_ids):
    pass
