"""Staff's view of events.

Events are read-only here: a form save writes every field of the row it loaded,
so it would overwrite seat counters that bookings changed in the meantime. Staff
change events only through the services, as the API does: the cancel action
runs events.services.event_cancel (bookings cancelled
with the event, its version bumped for cached copies, customers notified)."""

from datetime import timedelta

from django.contrib import admin
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify

from analytics.selectors import sales_series_all
from bookings.selectors import attendee_event, attendee_rows, hold_list_for_event
from bookings.serializers import ATTENDEE_COLUMNS, attendee_row
from shared.exports import export_response
from shared.money import from_cents
from shared.timeutil import now
from events.models import Event
from events.services import event_cancel
from staff import charts
from staff.admin_helpers import (
    OrganizerFilter, ReadOnlyAdmin, confirmation, customers_by_id, local_time, money, plural, run_each,
)
from staff.sections import event_page_sections
from waitlist.selectors import waitlist_list_for_event

STAFF_CANCEL_REASON = "Cancelled by staff."
TYPE_COLUMNS = ["id", "name", "price", "capacity", "seats left", "held", "sold", "revenue", "sales start", "sales end", "max per booking"]
HOLD_COLUMNS = ["id", "customer", "email", "ticket type", "qty", "unit price", "held at", "expires at", "waiting-list offer"]
WAITLIST_COLUMNS = ["position", "customer", "email", "ticket type", "qty", "state", "joined at", "offered until"]
# The sales chart: days while the event's selling life fits SALES_DAYS_MAX days, weeks beyond.
SALES_DAYS_MAX = 90
REASON_MAX_LENGTH = Event._meta.get_field("cancel_reason").max_length


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    # Fits 1280 px: the city is a filter, bookings in flight are on the event's page.
    list_display = [
        "id", "title", "organizer_email", "status", "starts", "price", "capacity", "seats_available", "tickets_sold", "revenue",
    ]
    list_per_page = 50
    list_filter = ["status", "city", ("organizer", OrganizerFilter)]
    search_fields = ["=id", "title", "city"]
    ordering = ["-created_at"]
    fieldsets = [
        (None, {"fields": ["id", "title", "status", "organizer", "links"]}),
        ("Sales", {"fields": ["sales_chart", "types_chart", "ticket_types",
                              "capacity", "quota", "seats_available", "seats_held", "tickets_sold", "revenue"]}),
        ("Waiting list and holds", {"fields": ["waiting_list", "seat_holds", "pending_bookings"]}),
        ("At the door", {"fields": ["at_the_door"]}),
        ("Event", {"fields": ["description", "city", "venue", "tags", "starts_at", "price", "published_at",
                              "cancelled_at", "cancel_reason", "created_at", "updated_at"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]
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

    @admin.display(description="live holds")
    def seat_holds(self, obj):
        """Live holds (seats off sale, not sold), read-only; expired ones are released by the reconciler.
        Read through bookings.selectors.hold_list_for_event."""
        holds = hold_list_for_event(event_id=obj.pk)
        if not holds:
            return "None."
        people = customers_by_id(hold["customer_id"] for hold in holds)
        names = _type_names(obj)
        rows = [
            (h["id"], people.get(h["customer_id"], ("?", ""))[0], people.get(h["customer_id"], ("?", ""))[1],
             names.get(h["type"], h["type"]), h["qty"], from_cents(h["unit_price_cents"]), local_time(h["at"], short=True),
             local_time(h["expires_at"], short=True), h.get("entry") or "-")
            for h in holds
        ]
        return _table(HOLD_COLUMNS, rows, row_class="seat-hold", note=_zone_note())

    @admin.display(description="waiting list")
    def waiting_list(self, obj):
        """The line in order: read through waitlist.selectors.waitlist_list_for_event."""
        entries = waitlist_list_for_event(event_id=obj.pk)
        if not entries:
            return "Nobody is waiting."
        people = customers_by_id(entry["customer_id"] for entry in entries)
        rows = [
            (entry["position"] or "-", people.get(entry["customer_id"], ("?", ""))[0],
             people.get(entry["customer_id"], ("?", ""))[1], entry["ticket_type_name"] or entry["type"], entry["qty"],
             entry["state"], local_time(entry["at"], short=True),
             local_time(entry["hold_expires_at"], short=True) if entry.get("hold_expires_at") else "-")
            for entry in entries
        ]
        waiting = sum(1 for entry in entries if entry["state"] == "WAITING")
        return _table(WAITLIST_COLUMNS, rows, row_class="waitlist-entry",
                      note=f"{plural(waiting, 'customer')} waiting. " + _zone_note())

    @admin.display(description="see also")
    def links(self, obj):
        bookings = reverse("admin:bookings_booking_changelist")
        export = reverse("admin:events_event_attendees", args=[obj.pk, "csv"])
        return format_html(
            '<span class="staff-links">'
            '<a id="link-bookings" href="{}?event__id__exact={}">All bookings of this event</a>'
            '<a id="link-attendees" href="{}?event__id__exact={}&amp;status__exact=CONFIRMED">Attendees</a>'
            '<a id="link-attendees-csv" href="{}">Attendees as CSV</a>'
            '<a id="link-attendees-xlsx" href="{}">Attendees as XLSX</a></span>',
            bookings, obj.pk, bookings, obj.pk, export, export.removesuffix(".csv") + ".xlsx",
        )

    @admin.display(description="sales over time")
    def sales_chart(self, obj):
        """Tickets booked per day (per week for a longer selling life), in the staff member's time zone."""
        zone = timezone.get_current_timezone()
        end = min(now(), obj.starts_at) if obj.starts_at else now()
        opened = obj.published_at or obj.created_at or end - timedelta(days=30)
        start = min(opened, end - timedelta(days=7))
        interval = "day" if end - start <= timedelta(days=SALES_DAYS_MAX) else "week"
        if end - start > timedelta(weeks=500):
            start = end - timedelta(weeks=500)
        series = sales_series_all(interval=interval, start=start, end=end + timedelta(seconds=1), zone=zone, event_id=obj.pk)
        note = format_html('<p class="staff-note">{}, {} in {} ({} per {}).</p>',
                           plural(series["tickets"], "ticket"), from_cents(series["revenue_cents"]), zone.key,
                           "tickets", interval)
        chart = charts.sales_over_time(series["series"], interval=interval, title=f"Tickets booked per {interval}")
        return format_html("{}{}", chart, note)

    @admin.display(description="seats")
    def types_chart(self, obj):
        types = sorted(obj.types or [], key=lambda t: (t.sort_order, t.id))
        return charts.ticket_types([
            {"name": t.name, "tickets_sold": t.tickets_sold, "seats_held": t.seats_held, "seats_available": t.seats_available}
            for t in types
        ])

    def get_fieldsets(self, request, obj=None):
        zone = f"Times in {timezone.get_current_timezone_name()}."
        return [(name, {**options, "description": zone}) if name == "Event" else (name, options)
                for name, options in super().get_fieldsets(request, obj)]

    def get_urls(self):
        export = path("<str:event_id>/attendees.<str:fmt>", self.admin_site.admin_view(self.attendees_export),
                      name="events_event_attendees")
        return [export, *super().get_urls()]

    def attendees_export(self, request, event_id, fmt):
        """The attendee export of the API (GET /events/{id}/attendees?format=), for staff."""
        if fmt not in ("csv", "xlsx") or not self.has_view_permission(request):
            raise Http404
        event = attendee_event(event_id=event_id, viewer=request.user)
        return export_response(
            columns=ATTENDEE_COLUMNS,
            rows=(attendee_row(*pair) for pair in attendee_rows(event_id=event["_id"], status="CONFIRMED", sort="booked_at")),
            fmt=fmt, filename=f"{event['_id']}-{slugify(event['title'])[:60]}-attendees".replace("--", "-"), sheet="Attendees",
        )

    @admin.display(description="organizer", ordering="organizer__email")
    def organizer_email(self, obj):
        # May break before the @ rather than make the column wide.
        local, _, domain = str(obj.organizer).partition("@")
        return format_html("{}<wbr>@{}", local, domain) if domain else local

    @admin.display(description="starts", ordering="starts_at")
    def starts(self, obj):
        return local_time(obj.starts_at) if obj.starts_at else "-"

    @admin.display(description="pending")
    def pending_bookings(self, obj):
        # Seats held by bookings still in flight; the reconciler settles old ones.
        return len(obj.pending or [])

    @admin.display(description="at the door")
    def at_the_door(self, obj):
        shown = [format_html("<h4>{}</h4>{}", name, section(obj)) for name, section in event_page_sections.items()]
        return format_html_join("", "{}", ((html,) for html in shown)) if shown else "-"

    def has_cancel_permission(self, request):
        # Superusers (what createstaff makes) have it; other staff need "Can change event".
        return request.user.has_perm("events.change_event")

    @admin.action(description="Cancel selected events (and their bookings)", permissions=["cancel"])
    def cancel_events(self, request, queryset):
        """First a confirmation page (cancelling cannot be undone and tells customers), then
        each event through event_cancel; those already cancelled are skipped and named."""
        events = list(queryset.order_by("pk"))
        if request.POST.get("confirm") != "yes":
            return confirmation(
                self, request, action="cancel_events", objects=events,
                warning="Cancelling an event cancels its confirmed bookings, gives their seats back and notifies "
                        "its customers. It cannot be undone.",
                lines=[f"{event.pk} {event.title}: {event.get_status_display()}, {plural(event.tickets_sold, 'ticket')} sold, "
                       f"organizer {event.organizer}" for event in events],
                reason=STAFF_CANCEL_REASON, reason_max_length=REASON_MAX_LENGTH,
            )
        reason = request.POST.get("reason", "").strip()[:REASON_MAX_LENGTH] or STAFF_CANCEL_REASON
        run_each(self, request, events, lambda event: event_cancel(event_id=event.pk, actor=request.user, reason=reason, as_staff=True),
                 noun="event", note=f"Cancelled: {reason}")



def _type_names(event):
    return {t.id: t.name for t in event.types or []}


def _zone_note():
    return f"Times in {timezone.get_current_timezone_name()}."


def _table(columns, rows, *, row_class, note):
    header = format_html("<thead><tr>{}</tr></thead>", format_html_join("", "<th>{}</th>", ((name,) for name in columns)))
    body = format_html_join("", f'<tr class="{row_class}">' + "<td>{}</td>" * len(columns) + "</tr>", rows)
    return format_html('<table class="staff-table">{}<tbody>{}</tbody></table><p class="staff-note">{}</p>', header, body, note)
