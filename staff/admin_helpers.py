"""What the staff admin of events and of bookings share.

Both are read-only: a form save writes every field of the row it loaded, so it
would overwrite seat counters that bookings changed in the meantime. Staff change
events and bookings only through the services, as the API does."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from django.utils import timezone

from accounts.models import Role, User
from shared.errors import DomainError
from shared.money import from_cents


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


def confirmation(model_admin, request, *, action, objects, warning, lines, reason=None, reason_max_length=None):
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
        "reason_max_length": reason_max_length,
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
        model_admin.message_user(request, f"Cancelled {plural(len(cancelled), noun)}: {', '.join(cancelled)}.", messages.SUCCESS)
    if skipped:
        model_admin.message_user(request, f"Skipped {plural(len(skipped), noun)}: {'; '.join(skipped)}.", messages.WARNING)


def plural(count, noun):
    """"1 booking", "2 bookings" (the nouns here take an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def customers_by_id(ids):
    """{user id: (name, email)} in one query, for tables that name customers."""
    return {user.pk: (user.name, user.email) for user in User.objects.filter(pk__in=set(ids)).only("name", "email")}


def local_time(moment, *, short=False):
    """A stored instant as staff read it: in the current time zone (the staff member's, in
    the admin), to the minute, with the zone's abbreviation; `short` leaves out the year."""
    return timezone.localtime(moment).strftime("%d %b %H:%M %Z" if short else "%Y-%m-%d %H:%M %Z")
