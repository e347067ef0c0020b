import re

from pymongo import ASCENDING, DESCENDING

from bookings.models import BookingStatus
from bookings.errors import BookingNotFound
from shared.ids import BOOKING_ID, is_event_id
from shared.mongo import bookings, collection, events
from shared.pagination import paginate
from shared.timeutil import now
from events.errors import EventNotFound

VISIBLE = [BookingStatus.CONFIRMED.value, BookingStatus.CANCELLED.value]
EVENT_SUMMARY = {"title": 1, "starts_at": 1, "status": 1}


def booking_list_mine(*, customer, status=None, page, page_size):
    """The customer's bookings, newest first, each with its event's summary."""
    query = {"customer_id": customer.pk, "status": status or {"$in": VISIBLE}}
    result = paginate(
        bookings(), query, sort=[("created_at", -1), ("_id", -1)], page=page, page_size=page_size
    )
    ids = list({booking["event_id"] for booking in result["results"]})
    summaries = {doc["_id"]: doc for doc in events().find({"_id": {"$in": ids}}, EVENT_SUMMARY)}
    result["results"] = [(booking, summaries[booking["event_id"]]) for booking in result["results"]]
    return result


def booking_get_visible(*, booking_id, user):
    """(booking, event summary) for the customer who made it, the event's organizer and
    staff; anyone else gets the 404 of a booking that does not exist (ids do not leak)."""
    booking = bookings().find_one({"_id": booking_id}) if BOOKING_ID.fullmatch(booking_id) else None
    if booking is None or booking["status"] not in VISIBLE:
        raise BookingNotFound()
    event = events().find_one({"_id": booking["event_id"]}, {**EVENT_SUMMARY, "organizer_id": 1})
    if not (user.is_staff or booking["customer_id"] == user.pk or (event and event["organizer_id"] == user.pk)):
        raise BookingNotFound()
    return booking, event
# Attendees: an event's bookings with their customers' names and emails, for the
# event's owner (and staff). Names and emails live in `users`; a page (or an export's
# batch) reads its customers in one query by their ids, so no query scans users.

ATTENDEE_SORTS = {"booked_at": "created_at", "amount": "amount_cents"}
EXPORT_BATCH = 1000
USER_FIELDS = {"name": 1, "email": 1}


def attendee_event(*, event_id, viewer):
    """The event whose attendees `viewer` may read: its owner's, or any for staff.
    Everyone else gets the 404 an unknown event gets, so attendee lists do not leak."""
    doc = events().find_one({"_id": event_id}, {"title": 1, "organizer_id": 1}) if is_event_id(event_id) else None
    if doc is None or not (doc["organizer_id"] == viewer.pk or viewer.is_staff):
        raise EventNotFound()
    return doc


def _attendee_query(event_id, *, status, q):
    query = {"event_id": event_id, "status": status}
    if q:
        # Only this event's customers are searched: their ids from the (event, status, ...)
        # index, then users by _id. No index can serve a substring search over all users.
        ids = bookings().distinct("customer_id", query)
        pattern = {"$regex": re.escape(q), "$options": "i"}
        matched = [doc["_id"] for doc in collection("users").find(
            {"_id": {"$in": ids}, "$or": [{"name": pattern}, {"email": pattern}]}, {"_id": 1}
        )]
        query["customer_id"] = {"$in": matched}
    return query


def _attendee_sort(sort):
    direction = DESCENDING if sort.startswith("-") else ASCENDING
    return [(ATTENDEE_SORTS[sort.lstrip("-")], direction), ("_id", direction)]


def _with_customers(docs):
    users = {doc["_id"]: doc for doc in collection("users").find(
        {"_id": {"$in": list({doc["customer_id"] for doc in docs})}}, USER_FIELDS
    )}
    return [(doc, users.get(doc["customer_id"], {})) for doc in docs]


def attendee_page(*, event_id, viewer, status, q=None, sort, page, page_size):
    """One page of the event's bookings in `status`, each as (booking, customer)."""
    attendee_event(event_id=event_id, viewer=viewer)
    result = paginate(bookings(), _attendee_query(event_id, status=status, q=q), sort=_attendee_sort(sort),
                      page=page, page_size=page_size)
    result["results"] = _with_customers(result["results"])
    return result


def attendee_rows(*, event_id, status, q=None, sort):
    """Every (booking, customer) of the event in `status`, in batches of EXPORT_BATCH
    (one users query each): memory stays flat whatever the number of bookings. The
    caller has checked access with attendee_event."""
    cursor = bookings().find(_attendee_query(event_id, status=status, q=q)).sort(_attendee_sort(sort)).batch_size(EXPORT_BATCH)
    batch = []
    for doc in cursor:
        batch.append(doc)
        if len(batch) == EXPORT_BATCH:
            yield from _with_customers(batch)
            batch = []
    if batch:
        yield from _with_customers(batch)


def hold_list_for_event(*, event_id):
    """The event's live holds (customers' and the waiting list's offers), oldest first: for
    staff (the admin). The one place the admin reads holds from."""
    from bookings.services.hold_store import LIVE, holds, shown

    moment = now()
    live = holds().find({"event_id": event_id, "state": LIVE, "expires_at": {"$gt": moment}})
    return sorted((shown(hold) for hold in live), key=lambda hold: (hold["at"], hold["id"]))
