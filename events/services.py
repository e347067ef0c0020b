"""Event writes and transitions (DRAFT -> PUBLISHED -> CANCELLED). Each state
change is one conditional update on the event document, so two concurrent
transitions cannot both win; when nothing matched, the document is read again
only to say why."""

from shared.errors import Forbidden
from shared.ids import EVENT, is_event_id, next_public_id
from shared.mongo import events
from shared.timeutil import now
from events.errors import (
    EventBusy, EventCancelled, EventIncomplete, EventNotDraft, EventNotFound, EventStarted, InvalidTransition,
    PublishStartInPast, StartInPast,
)
from events.models import EventStatus
from events.signals import SENDER, event_cancelled, event_seats_edited
from events.store import NO_MARKERS, event_delete_one, event_find_one_and_update, event_insert
from events.ticket_types import types_create, types_edit

EDITABLE_STATUSES = [EventStatus.DRAFT, EventStatus.PUBLISHED]
REQUIRED_TO_PUBLISH = ["title", "city", "venue", "starts_at"]
# An edit of the types retries while bookings change their counters; a sale that
# never pauses gets a 409 event_busy after this many reads.
EDIT_ATTEMPTS = 50
# The fields whose edit can free seats (event_seats_edited).
SEAT_FIELDS = {"types", "capacity"}


def event_get_mine(*, event_id, actor):
    """The event document, if `actor` owns it: 404 when missing, 403 otherwise."""
    doc = events().find_one({"_id": event_id})
    if doc is None:
        raise EventNotFound()
    if doc["organizer_id"] != actor.pk:
        raise Forbidden("Only the event's organizer may do this.")
    return doc


def event_create(*, organizer, data):
    moment = now()
    doc = {
        "_id": next_public_id(EVENT),
        "organizer_id": organizer.pk,
        "title": data["title"],
        "title_key": data["title"].lower(),
        "description": data.get("description", ""),
        "city": data.get("city", ""),
        "city_key": data.get("city", "").lower(),
        "venue": data.get("venue", ""),
        "tags": data.get("tags", []),
        "starts_at": data.get("starts_at"),
        **types_create(data=data),
        "status": EventStatus.DRAFT,
        "pending": [],
        "published_at": None,
        "cancelled_at": None,
        "cancel_reason": "",
        "created_at": moment,
        "updated_at": moment,
    }
    doc["_id"] = event_insert(doc)
    return doc


def event_update(*, event_id, actor, data, replace_types=False):
    """Apply a partial update. Ticket types, price and capacity follow the rules of
    events.ticket_types (`types` merged by id, or with `replace_types` the whole new
    list); the update is conditional on the types as read, so seats sold meanwhile are
    never overwritten. An edit of a published event's seats sends event_seats_edited (the
    seats it freed go to the waiting list); returns the event as it is then."""
    for _ in range(EDIT_ATTEMPTS):
        doc = event_get_mine(event_id=event_id, actor=actor)
        if doc["status"] == EventStatus.CANCELLED:
            raise EventCancelled()
        moment = now()
        query = {"_id": event_id, "organizer_id": actor.pk, "status": {"$in": EDITABLE_STATUSES}}
        if doc["status"] == EventStatus.PUBLISHED:
            if doc["starts_at"] <= moment:
                raise EventStarted()
            query["starts_at"] = {"$gt": moment}  # and still not started when written
        changes = {key: value for key, value in data.items() if key not in ("capacity", "price_cents", "types")}
        for field in ("title", "city"):
            if field in changes:
                changes[f"{field}_key"] = changes[field].lower()
        starts_at = data.get("starts_at")
        if starts_at is not None and starts_at <= now():
            if doc["status"] == EventStatus.PUBLISHED:
                raise StartInPast()
            query["status"] = EventStatus.DRAFT
        seats = types_edit(doc=doc, data=data, replace=replace_types)
        if seats:
            # Optimistic on the types as read: a booking in between changes their
            # counters, so this matches nothing and we read again.
            query["types"] = doc["types"]
            query["status"] = doc["status"]
        update = {"$set": {**changes, **seats, "updated_at": now()}}
        updated = event_find_one_and_update(query, update)
        if updated is not None:
            return _seats_edited(updated, data)
        current = events().find_one({"_id": event_id})
        if current is None:
            raise EventNotFound()
        if current["status"] == EventStatus.CANCELLED:
            raise EventCancelled()
        if starts_at is not None and starts_at <= now() and current["status"] == EventStatus.PUBLISHED:
            raise StartInPast()
        # The types or the status changed under us (a booking, another edit): read again and retry.
    raise EventBusy("The event's seats kept changing while editing; try again.")


def _seats_edited(event, data):
    """Tell the apps built on events that a published event's seats were edited; the event
    as it is after their receivers (offers made take seats)."""
    if event["status"] != EventStatus.PUBLISHED or not SEAT_FIELDS & set(data):
        return event
    offered = sum(made or 0 for _, made in event_seats_edited.send(sender=SENDER, event=event))
    return events().find_one({"_id": event["_id"]}, NO_MARKERS) if offered else event


def event_delete(*, event_id, actor):
    """Delete a DRAFT of the actor's: nothing was ever on sale, so nothing else refers to
    it. A published event is cancelled instead (its bookings go with it), and a cancelled
    one stays on record: 409. Anyone else's event is a 404, whatever its status."""
    if is_event_id(event_id) and event_delete_one({"_id": event_id, "organizer_id": actor.pk, "status": EventStatus.DRAFT}):
        return
    current = events().find_one({"_id": event_id}, {"organizer_id": 1, "status": 1}) if is_event_id(event_id) else None
    if current is None or current["organizer_id"] != actor.pk:
        raise EventNotFound()
    if current["status"] == EventStatus.PUBLISHED:
        raise EventNotDraft(
            f"A published event is not deleted: cancel it (POST /events/{event_id}/cancel), which cancels its bookings.",
            status=current["status"],
        )
    raise EventNotDraft("A cancelled event stays on record; only a draft can be deleted.", status=current["status"])


def _missing_for_publish(doc):
    return [field for field in REQUIRED_TO_PUBLISH if not doc.get(field)]


def event_publish(*, event_id, actor):
    moment = now()
    query = {
        "_id": event_id,
        "organizer_id": actor.pk,
        "status": EventStatus.DRAFT,
        "starts_at": {"$gt": moment},
        **{field: {"$nin": ["", None]} for field in REQUIRED_TO_PUBLISH if field != "starts_at"},
    }
    update = {"$set": {"status": EventStatus.PUBLISHED, "published_at": moment, "updated_at": moment}}
    doc = event_find_one_and_update(query, update)
    if doc is not None:
        return doc
    current = event_get_mine(event_id=event_id, actor=actor)
    if current["status"] != EventStatus.DRAFT:
        raise InvalidTransition(
            f"Only a draft can be published; this event is {current['status']}.", status=current["status"]
        )
    missing = _missing_for_publish(current)
    if missing:
        raise EventIncomplete(f"The event is incomplete: set {', '.join(missing)} before publishing.", missing=missing)
    raise PublishStartInPast()


def event_cancel(*, event_id, actor, reason="", as_staff=False):
    """DRAFT or PUBLISHED -> CANCELLED, then event_cancelled: bookings cancels the event's
    bookings and their customers are told (a failure there is logged; the reconciler
    finishes it). Returns the event document as it is afterwards. The one way to cancel
    an event: the API lets only the owner cancel; the admin passes `as_staff=True` so a
    staff user cancels any organizer's event through this same path."""
    if as_staff and not actor.is_staff:
        raise Forbidden("Only staff may cancel another organizer's event.")
    moment = now()
    query = {"_id": event_id, "status": {"$in": EDITABLE_STATUSES}}
    if not as_staff:
        query["organizer_id"] = actor.pk
    update = {
        "$set": {
            "status": EventStatus.CANCELLED,
            "cancelled_at": moment,
            "cancel_reason": reason,
            "updated_at": moment,
        }
    }
    doc = event_find_one_and_update(query, update)
    if doc is None:
        current = events().find_one({"_id": event_id}) if as_staff else event_get_mine(event_id=event_id, actor=actor)
        if current is None:
            raise EventNotFound()
        raise InvalidTransition(f"This event is already {current['status']}.", status=current["status"])
    event_cancelled.send(sender=SENDER, event=doc)
    return events().find_one({"_id": event_id})
