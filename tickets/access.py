"""Who may work the door of an event: its organizer, and the accounts the organizer granted
(door staff, one event each, revocable). Checked on every scan, so a revoked grant stops
at the next request."""

from shared.errors import Forbidden
from shared.mongo import collection, events
from events.models import EventStatus
from events.errors import EventNotFound

DOOR_VIEW = {"organizer_id": 1, "status": 1, "cancelled_at": 1, "types.id": 1, "types.name": 1, "types.sort_order": 1,
             "types.tickets_sold": 1, "tickets_sold": 1}


def checkins():
    return collection("checkins")


def door_staff():
    return collection("door_staff")


def event_for_door(*, event_id, actor):
    """The event, if `actor` is its organizer or its door staff: 404 when missing (or a
    draft of someone else's), 403 otherwise."""
    event = events().find_one({"_id": event_id}, DOOR_VIEW) if isinstance(event_id, str) else None
    if event is None or (event["status"] == EventStatus.DRAFT and event["organizer_id"] != actor.pk):
        raise EventNotFound()
    if event["organizer_id"] != actor.pk and door_staff().find_one({"event_id": event_id, "user_id": actor.pk}, {"_id": 1}) is None:
        raise Forbidden("Only the event's organizer and the door staff they named may do this.")
    return event


def event_for_organizer(*, event_id, actor):
    """The event, if `actor` is its organizer: 404 when missing (or someone else's draft), 403 otherwise."""
    event = events().find_one({"_id": event_id}, DOOR_VIEW) if isinstance(event_id, str) else None
    if event is None or (event["status"] == EventStatus.DRAFT and event["organizer_id"] != actor.pk):
        raise EventNotFound()
    if event["organizer_id"] != actor.pk:
        raise Forbidden("Only the event's organizer may do this.")
    return event
