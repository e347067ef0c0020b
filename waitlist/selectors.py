"""Waiting-list reads: a customer's entries, with their place in line and their offer."""

from pymongo import ASCENDING

from bookings.services.hold_store import holds
from shared.mongo import events
from waitlist.line import FOLLOWS, LEFT, LINE_VIEW, OFFERED, VOID, entries, hold_of, position, shown


def entry_shown(event, entry):
    """An entry as the API shows it (waitlist.serializers.WaitlistEntryOutput). `entry` as
    stored (`_id`) or as shown (`id`)."""
    stored = {**entry, "_id": entry.get("_id", entry.get("id"))}
    hold = hold_of(event, stored)
    if stored["state"] == OFFERED and hold is None:
        # The offer's hold has ended and the entry is about to follow it: show where it is going.
        ended = holds().find_one({"_id": stored["hold"]}, {"state": 1})
        if ended is not None and ended["state"] in FOLLOWS:
            stored["state"] = FOLLOWS[ended["state"]]
    ticket_type = next((t for t in event["types"] if t["id"] == stored["type"]), None)
    return {
        **shown(stored),
        "event_id": event["_id"],
        "event_title": event["title"],
        "event_status": event["status"],
        "ticket_type_name": ticket_type["name"] if ticket_type else "",
        "position": position(stored),
        "hold_id": hold["id"] if hold else None,
        "hold_expires_at": hold["expires_at"] if hold else None,
    }


def waitlist_list_mine(*, customer):
    """Every entry of the customer (in line and finished), newest first."""
    mine = list(entries().find({"customer_id": customer.pk, "state": {"$nin": [LEFT, VOID]}}))
    event_ids = sorted({entry["event_id"] for entry in mine})
    by_id = {event["_id"]: event for event in events().find({"_id": {"$in": event_ids}}, LINE_VIEW)} if event_ids else {}
    shown_entries = [entry_shown(by_id[entry["event_id"]], entry) for entry in mine if entry["event_id"] in by_id]
    shown_entries = [entry for entry in shown_entries if entry["state"] != LEFT]
    return sorted(shown_entries, key=lambda entry: (entry["at"], entry["id"]), reverse=True)


def waitlist_list_for_event(*, event_id):
    """Every entry of the event's waiting list (in line and finished; not those who left) in
    line order, as entry_shown shows it (place in line while WAITING, the offer's expiry while
    OFFERED): for staff (the admin). The one place the admin reads the line from."""
    event = events().find_one({"_id": event_id}, LINE_VIEW)
    if event is None:
        return []
    line = entries().find({"event_id": event_id, "state": {"$nin": [LEFT, VOID]}}).sort([("seq", ASCENDING), ("_id", ASCENDING)])
    shown_entries = [entry_shown(event, entry) for entry in line]
    return [entry for entry in shown_entries if entry["state"] != LEFT]
