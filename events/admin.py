"""Staff's view of events.

Events are read-only here: a form save writes every field of the row it loaded,
so it would overwrite seat counters that bookings changed in the meantime. Staff
change events only through the services, as the API does: the cancel action
runs events.services.event_cancel (bookings cancelled with the event, cache
invalidated, customers notified)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from accounts.models import Role
from eventbooking.errors import DomainError
from eventbooking.money import from_cents
from events.models import Event
from events.services import event_cancel

STAFF_CANCEL_REASON = "Cancelled by staff."
REASON_MAX_LENGTH = Event._meta.get_field("cancel_reason").max_length


class OrganizerFilter(admin.RelatedFieldListFilter):
    """Organizers only: customers never own events."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"role": Role.ORGANIZER})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewing and actions only (see the module docstring)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def money(cents_field, description):
    @admin.display(description=description, ordering=cents_field)
    def show(model_admin, obj):
        return from_cents(getattr(obj, cents_field))

    return show


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
        "capacity", "seats_available", "tickets_sold", "revenue", "pending_bookings",
        "published_at", "cancelled_at", "cancel_reason", "created_at", "updated_at",
    ]
    readonly_fields = fields
    actions = ["cancel_events"]

    price = money("price_cents", "price")
    revenue = money("revenue_cents", "revenue")

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
        each event through event_cancel; those already cancelled are skipped and named."""
        events = list(queryset.order_by("pk"))
        if request.POST.get("confirm") != "yes":
            return confirmation(
                self, request, action="cancel_events", objects=events,
                warning="Cancelling an event cancels its confirmed bookings, gives their seats back and notifies "
                        "its customers. It cannot be undone.",
                lines=[f"{event.pk} {event.title}: {event.get_status_display()}, {event.tickets_sold} ticket(s) sold, "
                       f"organizer {event.organizer}" for event in events],
                reason=STAFF_CANCEL_REASON,
            )
        reason = request.POST.get("reason", "").strip()[:REASON_MAX_LENGTH] or STAFF_CANCEL_REASON
        run_each(self, request, events, lambda event: event_cancel(event_id=event.pk, actor=request.user, reason=reason, as_staff=True),
                 noun="event", note=f"Cancelled: {reason}")


def confirmation(model_admin, request, *, action, objects, warning, lines, reason=None):
    """The page a cancel action shows before it changes anything; its form posts the
    same action again with confirm=yes (and the reason, when one is asked for)."""
    return TemplateResponse(request, "admin/cancel_confirmation.html", {
        **model_admin.admin_site.each_context(request),
        "title": f"Cancel these {model_admin.opts.verbose_name_plural}?",
        "opts": model_admin.opts,
        "action": action,
        "ids": [obj.pk for obj in objects],
        "warning": warning,
        "lines": lines,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "reason": reason,
        "reason_max_length": REASON_MAX_LENGTH,
    })


def run_each(model_admin, request, objects, cancel, *, noun, note):
    """Run `cancel` (a service call) on each object; log what was done, name what was
    refused and why (the service's own message), in one message each."""
    cancelled, skipped = [], []
    for obj in objects:
        try:
            cancel(obj)
        except DomainError as exc:
            skipped.append(f"{obj.pk} ({exc.message})")
            continue
        cancelled.append(obj.pk)
        model_admin.log_change(request, obj, note)
    if cancelled:
        model_admin.message_user(request, f"Cancelled {len(cancelled)} {noun}(s): {', '.join(cancelled)}.", messages.SUCCESS)
    if skipped:
        model_admin.message_user(request, f"Skipped {len(skipped)} {noun}(s): {'; '.join(skipped)}.", messages.WARNING)
