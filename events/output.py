"""Events as JSON on the hot paths (the listings, one event): plain functions that
give exactly what EventOutput / OwnedEventOutput (events/serializers.py) give for a
stored document, without DRF's per-field work. The serializers stay the contract:
the OpenAPI schema is generated from them, and tests/events/test_output.py checks
that these functions answer what they answer for varied documents. A field added to
a serializer must be added here too (that test fails until it is).
"""

from eventbooking.output import boolean, integer, money, text, when
from eventbooking.timeutil import now


def types_shown(event):
    """The event's types with what they show: seats bookable now, sold out, on sale."""
    moment = now()
    shown = []
    for ticket_type in event.get("types") or []:
        left = min(ticket_type["seats_available"], event["seats_available"])
        start, end = ticket_type["sales_start"], ticket_type["sales_end"]
        on_sale = (start is None or start <= moment) and (end is None or moment < end)
        shown.append({**ticket_type, "seats_available": max(left, 0), "sold_out": left <= 0, "on_sale": on_sale})
    return shown


def _type(shown, owned):
    out = {
        "id": text(shown["id"]),
        "name": text(shown["name"]),
        "price": money(shown["price_cents"]),
        "capacity": integer(shown["capacity"]),
        "seats_available": integer(shown["seats_available"]),
        "sold_out": boolean(shown["sold_out"]),
        "on_sale": boolean(shown["on_sale"]),
        "sales_start": when(shown.get("sales_start")),
        "sales_end": when(shown.get("sales_end")),
        "max_per_booking": integer(shown.get("max_per_booking")),
        "sort_order": integer(shown["sort_order"]),
    }
    if owned:
        out["tickets_sold"] = integer(shown["tickets_sold"])
        out["revenue"] = money(shown["revenue_cents"])
        out["seats_held"] = integer(shown.get("seats_held", 0))
        out["waitlist_waiting"] = integer(shown.get("waitlist_waiting", 0))
    return out


def event_json(doc, *, owned=False):
    """EventOutput(doc).data, or OwnedEventOutput(doc).data with owned=True."""
    price = money(doc["price_cents"])
    out = {
        "id": text(doc["_id"]),
        "title": text(doc["title"]),
        "description": text(doc["description"]),
        "city": text(doc["city"]),
        "venue": text(doc["venue"]),
        "tags": None if doc["tags"] is None else [text(tag) for tag in doc["tags"]],
        "starts_at": when(doc.get("starts_at")),
        "price_from": price,
        "price": price,
        "capacity": integer(doc["capacity"]),
        "quota": integer(doc.get("quota")),
        "seats_available": integer(doc["seats_available"]),
        "sold_out": doc["seats_available"] <= 0,
        "types": [_type(shown, owned) for shown in types_shown(doc)],
        "status": text(doc["status"]),
        "organizer_id": text(doc["organizer_id"]),
        "published_at": when(doc.get("published_at")),
        "cancelled_at": when(doc.get("cancelled_at")),
        "cancel_reason": text(doc["cancel_reason"]),
        "created_at": when(doc["created_at"]),
        "updated_at": when(doc["updated_at"]),
    }
    if owned:
        out["tickets_sold"] = integer(doc["tickets_sold"])
        out["revenue"] = money(doc["revenue_cents"])
        out["seats_held"] = integer(doc.get("seats_held", 0))
        out["waitlist_waiting"] = sum(t.get("waitlist_waiting", 0) for t in doc.get("types") or [])
    return out
