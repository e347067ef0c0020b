"""Waiting-list reads: a customer's entries, with their place in line and their offer."""

from eventbooking.mongo import events
from waitlist.line import LINE_VIEW, hold_of, position


def entry_shown(event, entry):
    """An entry as the API shows it (waitlist.serializers.WaitlistEntryOutput)."""
    hold = hold_of(event, entry)
    ticket_type = next((t for t in event["types"] if t["id"] == entry["type"]), None)
    return {
        **entry,
        "event_id": event["_id"],
        "event_title": event["title"],
        "event_status": event["status"],
        "ticket_type_name": ticket_type["name"] if ticket_type else "",
        "position": position(event, entry),
        "hold_id": hold["id"] if hold else None,
        "hold_expires_at": hold["expires_at"] if hold else None,
    }


def waitlist_list_mine(*, customer):
    """Every entry of the customer, newest first."""
    shown = []
    for event in events().find({"waitlist.customer_id": customer.pk}, LINE_VIEW):
        shown += [entry_shown(event, entry) for entry in event["waitlist"] if entry["customer_id"] == customer.pk]
    return sorted(shown, key=lambda entry: (entry["at"], entry["id"]), reverse=True)


def waitlist_list_for_event(*, event_id):
    """Every entry of the event's waiting list in line order, as entry_shown shows it
    (place in line while WAITING, the offer's expiry while OFFERED): for staff (the admin).
    The one place the admin reads the line from."""
    event = events().find_one({"_id": event_id}, LINE_VIEW)
    if event is None:
        return []
    return [entry_shown(event, entry) for entry in event.get("waitlist") or []]
