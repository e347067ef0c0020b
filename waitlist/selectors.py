"""Waiting-list reads: a customer's entries, with their place in line and their offer."""

from eventbooking.mongo import events
from waitlist.line import LEFT, LINE_VIEW, VOID, entries, hold_of, position, shown


def entry_shown(event, entry):
    """An entry as the API shows it (waitlist.serializers.WaitlistEntryOutput). `entry` as
    stored (`_id`) or as shown (`id`)."""
    stored = {**entry, "_id": entry.get("_id", entry.get("id"))}
    hold = hold_of(event, stored)
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
    return sorted(shown_entries, key=lambda entry: (entry["at"], entry["id"]), reverse=True)
