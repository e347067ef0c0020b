"""Staff's view of bookings: read-only, for the reason given in eventbooking/admin_helpers.py
(seats and counters change only through bookings.services)."""

from django.contrib import admin

from bookings.models import Booking
from eventbooking.admin_helpers import OrganizerFilter, ReadOnlyAdmin, money


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "event", "customer", "qty", "unit_price", "amount", "status", "cancelled_by_event",
        "created_at", "cancelled_at",
    ]
    list_filter = ["status", "cancelled_by_event", "event__city", ("event__organizer", OrganizerFilter)]
    search_fields = ["=id", "customer__email", "=event__id", "event__title"]
    list_select_related = ["event", "customer"]
    ordering = ["-created_at"]
    fields = [
        "id", "event", "customer", "qty", "unit_price", "amount", "status", "cancelled_by_event",
        "created_at", "cancelled_at",
    ]
    readonly_fields = fields

    unit_price = money("unit_price_cents", "unit price")
    amount = money("amount_cents", "amount")
