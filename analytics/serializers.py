import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shared.ids import EVENT_ID, MAX_LENGTH, TICKET_TYPE_ID
from shared.pagination import QueryInput
from shared.timeutil import now

from shared.money import MoneyField


class TopEventOutput(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")


class TypeSalesOutput(serializers.Serializer):
    event_id = serializers.CharField()
    event_title = serializers.CharField()
    ticket_type_id = serializers.CharField()
    ticket_type_name = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")


class OrganizerAnalyticsOutput(serializers.Serializer):
    total_events = serializers.IntegerField()
    events_by_status = serializers.DictField(child=serializers.IntegerField())
    tickets_sold = serializers.IntegerField()
    total_revenue = MoneyField(source="revenue_cents")
    top_event = TopEventOutput(allow_null=True)
    by_ticket_type = TypeSalesOutput(many=True, help_text="Confirmed sales per event and ticket type, by event id then type id.")


def _zone(name):
    if name not in _zone_names():
        raise serializers.ValidationError("Give an IANA time zone name, such as Europe/Paris or UTC.", code="invalid_tz")
    return ZoneInfo(name)


@cache
def _zone_names():
    return zoneinfo.available_timezones() | {"UTC"}


class SalesInput(QueryInput):
    interval = serializers.ChoiceField(choices=["hour", "day", "week"], default="day",
                                       help_text="Bucket size; weeks start on Monday.")
    locals()["from"] = serializers.CharField(
        max_length=40, required=False,
        help_text="First instant counted: a date (midnight in `tz`) or a datetime (no offset: in `tz`). "
        "Default: 30 days before `to`.",
    )
    to = serializers.CharField(
        max_length=40, required=False,
        help_text="End, excluded: a date counts that whole day (in `tz`), a datetime is the instant. Default: now.",
    )
    event = serializers.RegexField(rf"^{EVENT_ID.pattern}$", max_length=MAX_LENGTH, required=False,
                                   error_messages={"invalid": "An event id looks like EVT-0001."},
                                   help_text="Only this event of the caller's.")
    ticket_type = serializers.RegexField(rf"^{TICKET_TYPE_ID.pattern}$", max_length=MAX_LENGTH, required=False,
                                         error_messages={"invalid": "A ticket type id looks like TT-0001."},
                                         help_text="Only this ticket type (of one of the caller's events).")
    tz = serializers.CharField(max_length=64, default="UTC", help_text="IANA time zone of the buckets, e.g. Europe/Paris.")

    def validate_tz(self, name):
        return _zone(name)

    def validate(self, attrs):
        zone = attrs["tz"]
        end = _moment(attrs["to"], zone, field="to", upper=True) if "to" in attrs else now()
        start = _moment(attrs["from"], zone, field="from", upper=False) if "from" in attrs else end - timedelta(days=30)
        if start >= end:
            raise serializers.ValidationError({"to": ["to must be after from."]}, code="empty_range")
        return {**attrs, "from": start, "to": end}


def _moment(text, zone, *, field, upper):
    """An instant from a date (local midnight; as an upper bound the next one) or a datetime."""
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", text.strip())  # an unencoded "+" arrives as a space
    try:
        if re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            day = date.fromisoformat(text) + timedelta(days=1 if upper else 0)
            return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
        moment = datetime.fromisoformat(text)
        return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)
    except (ValueError, OverflowError):
        raise serializers.ValidationError(
            {field: ["Give an ISO date (2030-05-01) or datetime (2030-05-01T20:00:00+02:00)."]}, code="invalid"
        )


@extend_schema_field({"type": "string", "format": "date-time"})
class LocalDateTimeField(serializers.Field):
    """ISO 8601 with the offset of the series' time zone (not converted to UTC)."""

    def to_representation(self, value):
        return value.isoformat()


class SalesBucketOutput(serializers.Serializer):
    start = LocalDateTimeField(help_text="The bucket's first instant, in the series' time zone.")
    tickets = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")


class SalesSeriesOutput(serializers.Serializer):
    interval = serializers.CharField()
    tz = serializers.CharField()
    locals()["from"] = LocalDateTimeField()
    to = LocalDateTimeField()
    tickets = serializers.IntegerField(help_text="Sum over the series.")
    revenue = MoneyField(source="revenue_cents", help_text="Sum over the series.")
    series = SalesBucketOutput(many=True, help_text="Every bucket from `from` to `to`, oldest first; empty ones hold zeros.")
