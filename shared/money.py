"""Money is stored as integer cents and shown as a decimal string ("25.00")."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

CENT = Decimal("0.01")


def to_cents(amount):
    return int((Decimal(amount) / CENT).to_integral_value())


def from_cents(cents):
    return (Decimal(cents) * CENT).quantize(CENT)


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^\d+\.\d{2}$", "example": "12.50"})
class MoneyField(serializers.Field):
    """Output-only: reads integer cents from `source`, renders "12.50"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, cents):
        return str(from_cents(cents or 0))
