"""Cancelling an event and its bookings: the one operation that spans two apps.

Events know nothing of bookings (bookings build on events), so the two steps are
put together here, above both apps: the event's transition, then the cascade over
its bookings. The API's cancel view (events.views) and the admin's cancel action
(events.admin) call it; nothing else cancels an event."""

from bookings.services.cascade import bookings_cancel_for_event
from eventbooking.mongo import events
from events.services import event_cancel


def event_cancel_with_bookings(*, event_id, actor, reason="", as_staff=False):
    """DRAFT or PUBLISHED -> CANCELLED, then its confirmed bookings are cancelled and
    their customers told (a failure there is logged; the reconciler finishes it).
    Returns the event document as it is afterwards."""
    event = event_cancel(event_id=event_id, actor=actor, reason=reason, as_staff=as_staff)
    bookings_cancel_for_event(event=event)
    return events().find_one({"_id": event_id})
