"""Staff's view of bookings: read-only, for the reason given in staff/admin_helpers.py
(seats and counters change only through bookings.services). Staff cancel a booking
with the action, through bookings.services.booking_cancel as the API does: the
seats return and the organizer is notified."""

from django.contrib import admin
from django.utils.html import format_html

from bookings.models import Booking
from bookings.services import booking_cancel
from staff.admin_helpers import OrganizerFilter, ReadOnlyAdmin, confirmation, local_time, money, plural, run_each


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    # Fits 1280 px: when it was cancelled, and whether with its event, are on the booking's page.
    list_display = [
        "id", "event_code", "customer_name", "customer", "ticket_type_name", "qty", "unit_price", "amount", "status", "booked_at",
    ]
    list_filter = ["status", "event", "cancelled_by_event", "event__city", ("event__organizer", OrganizerFilter)]
    search_fields = ["=id", "customer__email", "customer__name", "=event__id", "event__title"]
    list_select_related = ["event", "customer"]
    ordering = ["-created_at"]
    fields = [
        "id", "event", "customer", "ticket_type_id", "ticket_type_name", "qty", "unit_price", "amount", "status", "cancelled_by_event",
        "created_at", "cancelled_at",
    ]
    readonly_fields = fields
    actions = ["cancel_bookings"]

    unit_price = money("unit_price_cents", "unit price")

    @admin.display(description="event", ordering="event")
    def event_code(self, obj):
        return format_html('<span title="{}">{}</span>', obj.event.title, obj.event_id)

    @admin.display(description="booked at", ordering="created_at")
    def booked_at(self, obj):
        return local_time(obj.created_at)

    @admin.display(description="name", ordering="customer__name")
    def customer_name(self, obj):
        return obj.customer.name if obj.customer else "-"
    amount = money("amount_cents", "amount")

    def has_cancel_permission(self, request):
        # Superusers (what createstaff makes) have it; other staff need "Can change booking".
        return request.user.has_perm("bookings.change_booking")

    @admin.action(description="Cancel selected bookings (seats return, the organizer is told)", permissions=["cancel"])
    def cancel_bookings(self, request, queryset):
        bookings = list(queryset.order_by("pk"))
        if request.POST.get("confirm") != "yes":
            return confirmation(
                self, request, action="cancel_bookings", objects=bookings,
                warning="Cancelling a booking gives its seats back to the event and notifies the event's organizer. "
                        "It cannot be undone.",
                lines=[f"{booking.pk}: {plural(booking.qty, 'ticket')} for {booking.event}, {booking.customer}, "
                       f"{booking.get_status_display()}" for booking in bookings],
            )
        run_each(self, request, bookings, lambda booking: booking_cancel(booking_id=booking.pk, actor=request.user, as_staff=True),
                 noun="booking", note="Cancelled by staff.")
