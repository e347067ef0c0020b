from eventbooking.mongo import collection
from events.cache import event_cache_get
from events.models import EventStatus
from events.services import EventNotFound, event_to_aware


def event_get_visible(*, event_id, user):
    """A published or cancelled event for anyone; a draft only for its owner.

    Everyone else gets 404 for a draft, so drafts do not leak."""
    doc = event_cache_get(event_id, lambda: collection("events").find_one({"_id": event_id}))
    if doc is None:
        raise EventNotFound()
    if doc["status"] == EventStatus.DRAFT and not (user and user.is_authenticated and doc["organizer_id"] == user.pk):
        raise EventNotFound()
    return event_to_aware(dict(doc))
