from bookings.models import BookingStatus
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
