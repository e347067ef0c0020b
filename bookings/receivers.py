"""Bookings' receivers of events' signals (events/signals.py), connected in BookingsConfig.ready:
a cancelled event's bookings are cancelled with it, and seats an edit freed are offered."""

from bookings.services.cascade import bookings_cancel_for_event
from bookings.signals import seats_freed_quietly


def event_bookings_cancel(sender, *, event, **kwargs):
    """event_cancelled -> the cascade over its bookings (package docstring, "Cancelled events")."""
    bookings_cancel_for_event(event=event)


def edited_seats_freed(sender, *, event, **kwargs):
    """event_seats_edited -> seats_freed for every type with free seats (a capacity raised, a
    type added): whoever waits is offered them. Returns how many offers were made."""
    offered = 0
    for ticket_type in event["types"]:
        if min(ticket_type["seats_available"], event["seats_available"]) > 0:
            offered += seats_freed_quietly(event_id=event["_id"], type_id=ticket_type["id"])
    return offered
