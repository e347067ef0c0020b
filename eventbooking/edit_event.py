"""Editing an event, then offering the seats an edit freed (a capacity raised, a type
added) to the waiting list: like cancel_event, an operation that spans two apps, put
together above both (events know nothing of bookings)."""

from bookings.signals import seats_freed_quietly
from eventbooking.mongo import events
from events.models import EventStatus
from events.services import event_update
from events.store import NO_MARKERS

SEAT_FIELDS = {"types", "capacity"}


def event_update_with_offers(*, event_id, actor, data, replace_types=False):
    """events.services.event_update, then signals.seats_freed for every type with free seats after
    an edit of the seats (the waiting list offers them to whoever waits, or does nothing)."""
    event = event_update(event_id=event_id, actor=actor, data=data, replace_types=replace_types)
    offered = 0
    if event["status"] == EventStatus.PUBLISHED and SEAT_FIELDS & set(data):
        for ticket_type in event["types"]:
            if min(ticket_type["seats_available"], event["seats_available"]) > 0:
                offered += seats_freed_quietly(event_id=event_id, type_id=ticket_type["id"])
    # Offers took seats: answer with the event as it is now.
    return events().find_one({"_id": event_id}, NO_MARKERS) if offered else event
