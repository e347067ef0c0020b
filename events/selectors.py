"""Event reads for the API: one event, the public list, an organizer's own list."""

import re

from pymongo import ASCENDING, DESCENDING

from shared.ids import is_event_id
from shared.money import to_cents
from shared.mongo import events
from events.cache import event_cache_get
from events.listing import event_page_json
from events.models import SORT_FIELDS, EventStatus
from events.errors import EventNotFound
from events.store import NO_MARKERS


def event_get_visible(*, event_id, user):
    """A published or cancelled event for anyone; a draft only for its owner.

    Everyone else gets 404 for a draft, so drafts do not leak."""
    if not is_event_id(event_id):
        # Not even a cache lookup for ids that cannot exist.
        raise EventNotFound()
    doc = event_cache_get(event_id, lambda: events().find_one({"_id": event_id}, NO_MARKERS))
    if doc is None:
        raise EventNotFound()
    if doc["status"] == EventStatus.DRAFT and not (user and user.is_authenticated and doc["organizer_id"] == user.pk):
        raise EventNotFound()
    return doc


def _event_filter(params):
    query = {}
    if "max_price" in params:
        # price_cents is the lowest price of the event's types.
        query["price_cents"] = {"$lte": to_cents(params["max_price"])}
    if "tags" in params:
        query["tags"] = {"$in": params["tags"]}
    if "city" in params:
        query["city_key"] = params["city"].lower()
    bounds = {op: params[name] for name, op in (("date_from", "$gte"), ("date_to", "$lte")) if name in params}
    if bounds:
        query["starts_at"] = bounds
    if "q" in params:
        query["title"] = {"$regex": re.escape(params["q"]), "$options": "i"}
    return query


def _event_page(query, params, *, owned):
    name = params["sort"].lstrip("-")
    direction = DESCENDING if params["sort"].startswith("-") else ASCENDING
    # _id in the same direction: unique, so pages never overlap, and one index serves both.
    return event_page_json(
        query,
        sort=[(SORT_FIELDS[name], direction), ("_id", direction)],
        page=params["page"],
        page_size=params["page_size"],
        owned=owned,
    )


def event_list_public(*, params):
    """Published events matching the validated `EventListInput` params, one page, its
    results as EventOutput JSON (events/listing.py)."""
    return _event_page({"status": EventStatus.PUBLISHED, **_event_filter(params)}, params, owned=False)


def event_list_mine(*, organizer, params):
    """The organizer's own events in every status (or `status`), one page, its results
    as OwnedEventOutput JSON."""
    query = {"organizer_id": organizer.pk, **_event_filter(params)}
    if "status" in params:
        query["status"] = params["status"]
    return _event_page(query, params, owned=True)
