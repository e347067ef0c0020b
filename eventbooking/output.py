"""Values as DRF's output fields render them, for the JSON the hot paths build by hand
(events/output.py, bookings/serializers.booking_output). Each is what the field's
to_representation gives, with DRF's rule that a None attribute renders as null."""

from django.utils import timezone
from rest_framework.fields import BooleanField

from eventbooking.money import from_cents


def text(value):
    """CharField."""
    return None if value is None else str(value)


def integer(value):
    """IntegerField."""
    return None if value is None else int(value)


def money(cents):
    """eventbooking.money.MoneyField."""
    return None if cents is None else str(from_cents(cents or 0))


def boolean(value):
    """BooleanField."""
    if value is None:
        return None
    probe = value.lower() if isinstance(value, str) else value
    try:
        if probe in BooleanField.TRUE_VALUES:
            return True
        if probe in BooleanField.FALSE_VALUES:
            return False
    except TypeError:  # unhashable
        pass
    return bool(value)


def booking_sale(booking):
    """The fields a booking's answer and its organizer's notice share, in their order:
    what was sold, at what price, and its status."""
    return {
        "ticket_type_id": text(booking.get("ticket_type_id", "")),
        "ticket_type_name": text(booking.get("ticket_type_name", "")),
        "qty": integer(booking["qty"]),
        "unit_price": money(booking["unit_price_cents"]),
        "amount": money(booking["amount_cents"]),
        "status": text(booking["status"]),
    }


def when(value):
    """DateTimeField with the ISO 8601 format: in the current timezone (UTC here), `Z` for +00:00."""
    if not value:
        return None
    zone = timezone.get_current_timezone()
    value = value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    iso = value.isoformat()
    return iso[:-6] + "Z" if iso.endswith("+00:00") else iso
