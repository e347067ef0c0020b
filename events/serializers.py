import re
from datetime import UTC, date, datetime, time

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eventbooking.ids import TICKET_TYPE_ID
from eventbooking.money import MoneyField, to_cents
from eventbooking.output import boolean, integer, money, text, twin_of, when
from eventbooking.pagination import PageInput
from eventbooking.serializers import StrictSerializer, WholeNumberField
from eventbooking.timeutil import now
from events.models import SORT_FIELDS, Event, EventStatus
from events.ticket_types import MAX_TYPES, max_tickets_per_booking

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
TAG_MESSAGE = "Tags are 1-32 letters, digits or dashes."
MAX_TAGS = 20
SORT_CHOICES = [prefix + name for name in SORT_FIELDS for prefix in ("", "-")]


def max_length(field):
    return Event._meta.get_field(field).max_length


def tag_clean(value):
    """Tags are stored lowercase, so `Jazz` and `jazz` are one tag."""
    tag = str(value).strip().lower()
    if not TAG_PATTERN.match(tag):
        raise serializers.ValidationError(f"{TAG_MESSAGE} Got {value!r}.", code="invalid_tag")
    return tag


class TagField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):  # CharField would turn 1 into "1"
            self.fail("invalid")
        return tag_clean(super().to_internal_value(data))


class AwareDateTimeField(serializers.DateTimeField):
    """A datetime with an explicit timezone, kept to the millisecond as MongoDB stores it."""

    def to_internal_value(self, value):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:  # well-formed but impossible ("12:99"): DRF's own parse says so below
            parsed = None
        if parsed is not None and parsed.tzinfo is None:
            raise serializers.ValidationError(
                "Give a timezone (e.g. 2030-05-01T20:00:00Z).", code="naive_datetime"
            )
        moment = super().to_internal_value(value).astimezone(UTC)
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def price_field():
    return serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)


class TicketTypeInput(StrictSerializer):
    """One ticket type in an event's `types`: with `id`, a change to that type (fields
    left out stay as they are), or with `"remove": true` its deletion; without `id`, a
    new type (`name` and `capacity` required)."""

    id = serializers.RegexField(
        rf"^{TICKET_TYPE_ID.pattern}$", max_length=20, required=False,
        error_messages={"invalid": "A ticket type id looks like TT-0001."},
    )
    name = serializers.CharField(max_length=100, required=False)
    price = price_field()
    capacity = WholeNumberField(min_value=1, max_value=1_000_000, required=False)
    sales_start = AwareDateTimeField(required=False, allow_null=True)
    sales_end = AwareDateTimeField(required=False, allow_null=True)
    max_per_booking = WholeNumberField(min_value=1, max_value=max_tickets_per_booking(), required=False, allow_null=True)
    sort_order = WholeNumberField(min_value=-1000, max_value=1000, required=False)
    remove = serializers.BooleanField(
        required=False, help_text="With `id` alone, in PATCH /events/:id: delete this type (refused once it has sales)."
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "price" in values:
            values["price_cents"] = to_cents(values.pop("price"))
        return values


class EventInput(StrictSerializer):
    """Create and partial update share these rules. A new event gives `types`, or
    `capacity` (and `price`) for one default type; see events/ticket_types.py."""

    title = serializers.CharField(max_length=max_length("title"))
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    # Not blankable: a published event must keep its city and venue.
    city = serializers.CharField(max_length=max_length("city"), required=False)
    venue = serializers.CharField(max_length=max_length("venue"), required=False)
    tags = serializers.ListField(child=TagField(), max_length=MAX_TAGS, required=False)
    starts_at = AwareDateTimeField(required=False)
    price = price_field()
    # With `types`: the overall quota, when lower than the sum of the types' seats.
    capacity = WholeNumberField(min_value=1, max_value=1_000_000, required=False)
    types = serializers.ListField(child=TicketTypeInput(), min_length=1, max_length=MAX_TYPES, required=False)

    def validate_tags(self, tags):
        return list(dict.fromkeys(tags))

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "price" in values:
            values["price_cents"] = to_cents(values.pop("price"))
        return values


class EventTypesInput(StrictSerializer):
    """PUT /events/:id/types: the whole new list of ticket types (a type left out is deleted)."""

    types = serializers.ListField(child=TicketTypeInput(), min_length=1, max_length=MAX_TYPES)


class EventCancelInput(StrictSerializer):
    reason = serializers.CharField(max_length=max_length("cancel_reason"), allow_blank=True, required=False, default="")


class TagsParam(serializers.CharField):
    """`tags=jazz,blues`: a list of tags (an event matches if it has any of them)."""

    def to_internal_value(self, data):
        items = [item for item in super().to_internal_value(data).split(",") if item.strip()]
        if not items:
            raise serializers.ValidationError("Give at least one tag.", code="invalid_tag")
        if len(items) > MAX_TAGS:
            raise serializers.ValidationError(f"Give at most {MAX_TAGS} tags.", code="too_many_tags")
        return list(dict.fromkeys(tag_clean(item) for item in items))


@extend_schema_field(
    {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}], "description": "ISO date (2030-05-01) or datetime with timezone"}
)
class DateBoundParam(serializers.Field):
    """An ISO date (`2030-05-01`) or datetime (`2030-05-01T20:00:00+02:00`; no
    offset means UTC), as an inclusive bound. A bare date is a whole UTC day: as
    a lower bound its first instant, as an upper bound its last millisecond
    (MongoDB keeps milliseconds, so nothing on that day falls outside)."""

    default_error_messages = {
        "invalid": "Give an ISO date (2030-05-01) or datetime (2030-05-01T20:00:00Z).",
        "overflow": "Datetime value out of range.",
    }

    def __init__(self, *, upper, **kwargs):
        self.upper = upper
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        # An unencoded "+" in a query string arrives as a space.
        text = re.sub(r" (\d\d:?\d\d)$", r"+\1", str(data).strip())
        try:
            if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
                return datetime.combine(date.fromisoformat(text), time.max if self.upper else time(), tzinfo=UTC).replace(
                    microsecond=999000 if self.upper else 0
                )
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail("invalid")
        try:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except OverflowError:
            # 9999-12-31T23:00-05:00 is a valid datetime whose UTC instant is not.
            self.fail("overflow")


def sort_param(*, default):
    return serializers.ChoiceField(
        choices=SORT_CHOICES,
        default=default,
        error_messages={"invalid_choice": f"Sort by one of {', '.join(SORT_FIELDS)}; a leading - sorts descending."},
    )


class EventListInput(PageInput):
    tags = TagsParam(max_length=1000, required=False)
    # Events with a ticket type at this price or lower (the event's "from" price).
    max_price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    city = serializers.CharField(max_length=max_length("city"), required=False)
    date_from = DateBoundParam(upper=False, required=False)
    date_to = DateBoundParam(upper=True, required=False)
    q = serializers.CharField(max_length=100, required=False)
    sort = sort_param(default="starts_at")

    def validate(self, attrs):
        if "date_from" in attrs and "date_to" in attrs:
            if attrs["date_from"] > attrs["date_to"]:
                raise serializers.ValidationError(
                    {"date_to": ["date_to must not be before date_from."]}, code="empty_range"
                )
        return attrs


class EventListMineInput(EventListInput):
    status = serializers.ChoiceField(choices=EventStatus.values, required=False)
    # An organizer's dashboard: the newest first.
    sort = sort_param(default="-created_at")


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


# The hand-built twin of EventOutput and OwnedEventOutput (eventbooking.output.OutputTwin).

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
