import re
from datetime import UTC, date, datetime, time

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shared.ids import TICKET_TYPE_ID
from shared.money import to_cents
from shared.pagination import PageInput
from shared.serializers import StrictSerializer, WholeNumberField
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
