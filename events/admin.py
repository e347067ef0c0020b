"""Staff's view of events.

Events are read-only here: a form save writes every field of the row it loaded,
so it would overwrite seat counters that bookings changed in the meantime. Staff
change events only through the services, as the API does: the cancel action
runs eventbooking.cancel_event.event_cancel_with_bookings (bookings cancelled
with the event, its version bumped for cached copies, customers notified)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from eventbooking.admin_helpers import OrganizerFilter, ReadOnlyAdmin, confirmation, money, run_each
from eventbooking.cancel_event import event_cancel_with_bookings
from eventbooking.money import from_cents
from eventbooking.mongo import collection
from events.models import Event

STAFF_CANCEL_REASON = "Cancelled by staff."
TYPE_COLUMNS = ["id", "name", "price", "capacity", "seats left", "held", "sold", "revenue", "sales start", "sales end", "max per booking"]
HOLD_COLUMNS = ["id", "customer", "ticket type", "qty", "unit price", "held at", "expires at", "waiting-list offer"]
REASON_MAX_LENGTH = Event._meta.get_field("cancel_reason").max_length


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = [
        "id", "title", "city", "organizer", "status", "starts_at",
        "price", "capacity", "seats_available", "tickets_sold", "revenue", "pending_bookings",
    ]
    list_filter = ["status", "city", ("organizer", OrganizerFilter)]
    search_fields = ["=id", "title", "city"]
    ordering = ["-created_at"]
    fields = [
        "id", "title", "status", "organizer", "description", "city", "venue", "tags", "starts_at", "price",
        "capacity", "quota", "seats_available", "seats_held", "tickets_sold", "revenue", "ticket_types", "seat_holds",
        "pending_bookings",
        "published_at", "cancelled_at", "cancel_reason", "created_at", "updated_at",
    ]
    readonly_fields = fields
    actions = ["cancel_events"]

    price = money("price_cents", "price")
    revenue = money("revenue_cents", "revenue")

    @admin.display(description="ticket types")
    def ticket_types(self, obj):
        """The embedded types as a read-only table: their own counters, as bookings left them."""
        header = format_html(
            "<thead><tr>{}</tr></thead>",
            format_html_join("", "<th>{}</th>", ((name,) for name in TYPE_COLUMNS)),
        )
        rows = format_html_join(
            "",
            '<tr class="ticket-type">' + "<td>{}</td>" * len(TYPE_COLUMNS) + "</tr>",
            (
                (t.id, t.name, from_cents(t.price_cents), t.capacity, t.seats_available, t.seats_held, t.tickets_sold,
                 from_cents(t.revenue_cents), t.sales_start or "-", t.sales_end or "-", t.max_per_booking or "-")
                for t in sorted(obj.types or [], key=lambda t: (t.sort_order, t.id))
            ),
        )
        return format_html("<table>{}<tbody>{}</tbody></table>", header, rows)

    @admin.display(description="holds")
    def seat_holds(self, obj):
        """Live holds (seats off sale, not sold), read-only; expired ones are released by the reconciler."""
        header = format_html(
            "<thead><tr>{}</tr></thead>",
            format_html_join("", "<th>{}</th>", ((name,) for name in HOLD_COLUMNS)),
        )
        # Holds are their own collection (bookings/models.py Hold), read raw: events imports nothing of bookings.
        live = sorted(collection("holds").find({"event_id": obj.id, "state": "LIVE"}), key=lambda h: (h["at"], h["_id"]))
        rows = format_html_join(
            "",
            '<tr class="seat-hold">' + "<td>{}</td>" * len(HOLD_COLUMNS) + "</tr>",
            (
                (h["_id"], h["customer_id"], h["type"], h["qty"], from_cents(h["unit_price_cents"]), h["at"], h["expires_at"],
                 h["entry"] or "-")
                for h in live
            ),
        )
        return format_html("<table>{}<tbody>{}</tbody></table>", header, rows) if live else "-"

    @admin.display(description="pending")
    def pending_bookings(self, obj):
        # Seats held by bookings still in flight; the reconciler settles old ones.
        return len(obj.pending or [])

    def has_cancel_permission(self, request):
        # Superusers (what createstaff makes) have it; other staff need "Can change event".
        return request.user.has_perm("events.change_event")

    @admin.action(description="Cancel selected events (and their bookings)", permissions=["cancel"])
    def cancel_events(self, request, queryset):
        """First a confirmation page (cancelling cannot be undone and tells customers), then
        each event through event_cancel_with_bookings; those already cancelled are skipped and named."""
        events = list(queryset.order_by("pk"))
        if request.POST.get("confirm") != "yes":
            return confirmation(
                self, request, action="cancel_events", objects=events,
                warning="Cancelling an event cancels its confirmed bookings, gives their seats back and notifies "
                        "its customers. It cannot be undone.",
                lines=[f"{event.pk} {event.title}: {event.get_status_display()}, {event.tickets_sold} ticket(s) sold, "
                       f"organizer {event.organizer}" for event in events],
                reason=STAFF_CANCEL_REASON, reason_max_length=REASON_MAX_LENGTH,
            )
        reason = request.POST.get("reason", "").strip()[:REASON_MAX_LENGTH] or STAFF_CANCEL_REASON
        run_each(self, request, events, lambda event: event_cancel_with_bookings(event_id=event.pk, actor=request.user, reason=reason, as_staff=True),
                 noun="event", note=f"Cancelled: {reason}")

