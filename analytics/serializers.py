from rest_framework import serializers

from eventbooking.money import MoneyField


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
