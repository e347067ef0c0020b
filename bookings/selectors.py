from bookings.models import BookingStatus
from bookings.services.cancel import BookingNotFound
from eventbooking.ids import BOOKING_ID
from eventbooking.mongo import bookings, events
from eventbooking.pagination import paginate

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
