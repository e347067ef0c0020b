from rest_framework import serializers

from eventbooking.money import MoneyField


class TopEventOutput(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    tickets_sold = serializers.IntegerField()
    revenue = MoneyField(source="revenue_cents")


class OrganizerAnalyticsOutput(serializers.Serializer):
    total_events = serializers.IntegerField()
    events_by_status = serializers.DictField(child=serializers.IntegerField())
    tickets_sold = serializers.IntegerField()
    total_revenue = MoneyField(source="revenue_cents")
    top_event = TopEventOutput(allow_null=True)
