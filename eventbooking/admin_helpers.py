"""What the staff admin of events and of bookings share.

Both are read-only: a form save writes every field of the row it loaded, so it
would overwrite seat counters that bookings changed in the meantime. Staff change
events and bookings only through the services, as the API does."""

from django.contrib import admin

from accounts.models import Role
from eventbooking.money import from_cents


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
