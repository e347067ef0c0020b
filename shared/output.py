"""Values as DRF's output fields render them, for the JSON the hot paths build by hand
(OutputTwin, below). Each is what the field's to_representation gives, with DRF's rule that
a None attribute renders as null."""

from django.utils import timezone
from rest_framework.fields import BooleanField

from shared.money import from_cents


def text(value):
    """CharField."""
    return None if value is None else str(value)


def integer(value):
    """IntegerField."""
    return None if value is None else int(value)


def money(cents):
    """shared.money.MoneyField."""
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


# Every output contract that has a hand-built twin, in the order they were defined.
TWINS = []


class OutputTwin:
    """An output contract in its two forms, defined side by side: `serialize` runs the
    serializer (what the OpenAPI schema documents: the contract) and `by_hand` builds the
    same JSON without DRF's per-field work, for a path where bench/bench_contracts.py
    shows that pays. Calling the twin calls `by_hand` (the serializer while `by_hand_on`
    is false: the benchmark measures both that way); tests/foundation/test_contract_twins.py
    checks that both give the same JSON."""

    def __init__(self, by_hand, serialize):
        self.by_hand = by_hand
        self.serialize = serialize
        self.by_hand_on = True
        self.name = f"{by_hand.__module__}.{by_hand.__name__}"
        self.__doc__ = by_hand.__doc__
        TWINS.append(self)

    def __call__(self, *args, **kwargs):
        return (self.by_hand if self.by_hand_on else self.serialize)(*args, **kwargs)

    def __repr__(self):
        return f"<OutputTwin {self.name}>"


def twin_of(serialize):
    """Decorates the hand-built function of the contract `serialize` (a function of the
    same arguments that runs the serializer) into an OutputTwin."""
    return lambda by_hand: OutputTwin(by_hand, serialize)
