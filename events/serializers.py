from rest_framework import serializers

from eventbooking.money import MoneyField, to_cents
from eventbooking.serializers import StrictSerializer

TAG = serializers.RegexField(r"^[a-z0-9][a-z0-9-]{0,31}$", error_messages={"invalid": "Tags are 1-32 lowercase letters, digits or dashes."})


class EventInput(StrictSerializer):
    """Create (title and capacity required) and partial update share these rules."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    city = serializers.CharField(max_length=100, allow_blank=True, required=False)
    venue = serializers.CharField(max_length=200, allow_blank=True, required=False)
    tags = serializers.ListField(child=TAG, max_length=20, required=False)
    starts_at = serializers.DateTimeField(required=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000)

    def validate_tags(self, tags):
        return list(dict.fromkeys(tags))

    def validate_starts_at(self, value):
        if value.tzinfo is None:
            raise serializers.ValidationError("Give a timezone (e.g. 2030-05-01T20:00:00Z).", code="naive_datetime")
        return value

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "price" in values:
            values["price_cents"] = to_cents(values.pop("price"))
        return values


class EventCancelInput(StrictSerializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class EventOutput(serializers.Serializer):
    """The public contract of an event."""

    id = serializers.CharField(source="_id")
    title = serializers.CharField()
    description = serializers.CharField()
    city = serializers.CharField()
    venue = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    starts_at = serializers.DateTimeField(allow_null=True)
    price = MoneyField(source="price_cents")
    capacity = serializers.IntegerField()
    seats_available = serializers.IntegerField()
    status = serializers.CharField()
    organizer_id = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class OwnedEventOutput(EventOutput):
    """What the organizer sees of their own events: sales figures too."""

    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")
