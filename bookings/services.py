"""Booking writes. (Being built: see issue 4.)"""


def bookings_cancel_for_event(*, event):
    """Cancel the confirmed bookings of a cancelled event (issue 4)."""
    return 0
