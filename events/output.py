"""Events as JSON on the hot paths (the listings, one event): plain functions that
give exactly what EventOutput / OwnedEventOutput (events/serializers.py) give for a
stored document, without DRF's per-field work. The serializers stay the contract:
the OpenAPI schema is generated from them, and tests/events/test_output.py checks
that these functions answer what they answer for varied documents. A field added to
a serializer must be added here too (that test fails until it is).
"""

from django.utils import timezone

from eventbooking.money import from_cents
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


# A missing value shows as null in both (DRF: a None attribute is rendered as None).


def _text(value):
    return None if value is None else str(value)


def _int(value):
    return None if value is None else int(value)


def _money(cents):
    return None if cents is None else str(from_cents(cents or 0))


def _when(value):
    """As DRF's DateTimeField: in the current timezone (UTC here), `Z` for +00:00."""
    if not value:
        return None
    zone = timezone.get_current_timezone()
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _type(shown, owned):
    out = {
        "id": _text(shown["id"]),
        "name": _text(shown["name"]),
        "price": _money(shown["price_cents"]),
        "capacity": _int(shown["capacity"]),
        "seats_available": _int(shown["seats_available"]),
        "sold_out": shown["sold_out"],
        "on_sale": shown["on_sale"],
        "sales_start": _when(shown.get("sales_start")),
        "sales_end": _when(shown.get("sales_end")),
        "max_per_booking": _int(shown.get("max_per_booking")),
        "sort_order": _int(shown["sort_order"]),
    }
    if owned:
        out["tickets_sold"] = _int(shown["tickets_sold"])
        out["revenue"] = _money(shown["revenue_cents"])
    return out


def event_json(doc, *, owned=False):
    """EventOutput(doc).data, or OwnedEventOutput(doc).data with owned=True."""
    price = _money(doc["price_cents"])
    out = {
        "id": _text(doc["_id"]),
        "title": _text(doc["title"]),
        "description": _text(doc["description"]),
        "city": _text(doc["city"]),
        "venue": _text(doc["venue"]),
        "tags": None if doc["tags"] is None else [_text(tag) for tag in doc["tags"]],
        "starts_at": _when(doc.get("starts_at")),
        "price_from": price,
        "price": price,
        "capacity": _int(doc["capacity"]),
        "quota": _int(doc.get("quota")),
        "seats_available": _int(doc["seats_available"]),
        "sold_out": doc["seats_available"] <= 0,
        "types": [_type(shown, owned) for shown in types_shown(doc)],
        "status": _text(doc["status"]),
        "organizer_id": _text(doc["organizer_id"]),
        "published_at": _when(doc.get("published_at")),
        "cancelled_at": _when(doc.get("cancelled_at")),
        "cancel_reason": _text(doc["cancel_reason"]),
        "created_at": _when(doc["created_at"]),
        "updated_at": _when(doc["updated_at"]),
    }
    if owned:
        out["tickets_sold"] = _int(doc["tickets_sold"])
        out["revenue"] = _money(doc["revenue_cents"])
    return out
