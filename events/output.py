"""An event's output contract: the serializers that document and answer it, and beside them
`event_json`, their hand-built twin (shared/output.py `twin_of`), which the listings and
an event's page answer with because it costs a twentieth of the serializers' CPU
(bench/README.md, "Contracts and their twins"). tests/foundation/test_contract_twins.py
checks the two agree."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shared.money import MoneyField
from shared.output import boolean, integer, money, text, twin_of, when
from shared.timeutil import now


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


def sold_out(event):
    return event["seats_available"] <= 0


def waitlist_waiting(event):
    """Customers waiting in the event's lines, all types together."""
    return sum(t.get("waitlist_waiting", 0) for t in event.get("types") or [])


class TicketTypeOutput(serializers.Serializer):
    """A ticket type as everyone sees it. `seats_available` is what can be booked now:
    the type's seats left, or the event's when its overall quota leaves fewer."""

    id = serializers.CharField()
    name = serializers.CharField()
    price = MoneyField(source="price_cents")
    capacity = serializers.IntegerField()
    seats_available = serializers.IntegerField()
    sold_out = serializers.BooleanField()
    on_sale = serializers.BooleanField(help_text="Within its sale window now (the event must also be published).")
    sales_start = serializers.DateTimeField(allow_null=True)
    sales_end = serializers.DateTimeField(allow_null=True)
    max_per_booking = serializers.IntegerField(allow_null=True)
    sort_order = serializers.IntegerField()


class OwnedTicketTypeOutput(TicketTypeOutput):
    """The organizer's view of a type: its sales too, and its waiting list's length."""

    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")
    seats_held = serializers.IntegerField(default=0, help_text="Seats under customers' live holds: neither available nor sold.")
    waitlist_waiting = serializers.IntegerField(default=0, help_text="Customers waiting in line for this type (offered ones not counted).")


class EventOutput(serializers.Serializer):
    """The public contract of an event."""

    types_output = TicketTypeOutput

    id = serializers.CharField(source="_id")
    title = serializers.CharField()
    description = serializers.CharField()
    city = serializers.CharField()
    venue = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField(allow_null=True)
    price_from = MoneyField(source="price_cents", help_text="The lowest price of its ticket types.")
    price = MoneyField(source="price_cents", help_text="Same as price_from (the one-price API's field).")
    capacity = serializers.IntegerField(help_text="Seats of the event: the sum of its types', or its lower quota.")
    quota = serializers.IntegerField(allow_null=True, help_text="The overall capacity the organizer set below the types' sum, if any.")
    seats_available = serializers.IntegerField()
    sold_out = serializers.SerializerMethodField()
    types = serializers.SerializerMethodField()
    status = serializers.CharField()
    organizer_id = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


    @extend_schema_field(serializers.BooleanField())
    def get_sold_out(self, event):
        return sold_out(event)

    @extend_schema_field(TicketTypeOutput(many=True))
    def get_types(self, event):
        return self.types_output(types_shown(event), many=True).data


class OwnedEventOutput(EventOutput):
    """What the organizer sees of their own events: sales figures too, per ticket type."""

    types_output = OwnedTicketTypeOutput

    @extend_schema_field(OwnedTicketTypeOutput(many=True))
    def get_types(self, event):
        return super().get_types(event)

    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")
    seats_held = serializers.IntegerField(
        default=0, help_text="Seats under customers' live holds: capacity == seats_available + seats_held + tickets_sold."
    )
    waitlist_waiting = serializers.SerializerMethodField(help_text="Customers waiting in line, all types together.")

    @extend_schema_field(serializers.IntegerField())
    def get_waitlist_waiting(self, event):
        return waitlist_waiting(event)


# The hand-built twin of EventOutput and OwnedEventOutput (shared.output.OutputTwin).

def type_json(shown, owned):
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


@twin_of(lambda doc, *, owned=False: (OwnedEventOutput if owned else EventOutput)(doc).data)
def event_json(doc, *, owned=False):
    """EventOutput(doc).data, or OwnedEventOutput(doc).data with owned=True, built without
    DRF's per-field work (the listings, one event). A field added to a serializer must be
    added here too (tests/foundation/test_contract_twins.py fails until it is)."""
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
        "sold_out": sold_out(doc),
        "types": [type_json(shown, owned) for shown in types_shown(doc)],
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
        out["waitlist_waiting"] = waitlist_waiting(doc)
    return out
