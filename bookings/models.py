"""Bookings and idempotency keys. Written through PyMongo in bookings.services."""

from django.conf import settings
from django.db import models
from django_mongodb_backend.fields import ObjectIdField


class BookingStatus(models.TextChoices):
    CONFIRMED = "CONFIRMED", "Confirmed"
    CANCELLED = "CANCELLED", "Cancelled"
    # A booking id that will never be a booking: the reconciler (or a rollback)
    # inserts this tombstone before returning the seats of an interrupted booking,
    # so a late insert of the real booking fails on the unique _id.
    VOID = "VOID", "Void"


class Booking(models.Model):
    id = models.CharField(primary_key=True, max_length=20, db_column="_id")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="bookings")
    # Null only on VOID tombstones written by the reconciler, which knows no customer.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", null=True, blank=True
    )
    # The ticket type booked (events.TicketType.id) and its name when booked.
    ticket_type_id = models.CharField(max_length=20, blank=True, default="")
    ticket_type_name = models.CharField(max_length=100, blank=True, default="")
    qty = models.PositiveIntegerField()
    unit_price_cents = models.BigIntegerField()
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED)
    cancelled_by_event = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "bookings"
        indexes = [
            models.Index(fields=["customer", "created_at"], name="booking_customer"),
            # An event's bookings in booking order: the attendee list and its exports, the cascade
            # (a prefix), sales over time of given events.
            models.Index(fields=["event", "status", "created_at", "id"], name="booking_event_time"),
            # The attendee list sorted by amount.
            models.Index(fields=["event", "status", "amount_cents", "id"], name="booking_event_amount"),
            # Sales across every event over a period (the admin's dashboard).
            models.Index(fields=["status", "created_at"], name="booking_recent"),
            # A scanner's revocation list: the event's bookings cancelled since a moment (tickets/selectors.py).
            # Partial: a booking enters it when cancelled, so booking pays no upkeep for it (on MongoDB;
            # the local server ignores partialFilterExpression and indexes every booking).
            models.Index(fields=["event", "status", "cancelled_at", "id"], name="booking_event_cancelled",
                         condition=models.Q(status="CANCELLED")),
            # The reconciler's look for cancellations whose notice a crash lost.
            models.Index(fields=["cancelled_at"], name="booking_cancelled_at"),
        ]

    def __str__(self):
        return f"{self.id} {self.event_id} x{self.qty}"


class IdempotencyKey(models.Model):
    """One row per (customer, Idempotency-Key): the request it answered and its booking."""

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    booking_id = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "idempotency_keys"
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="idempotency_customer_key"),
        ]


class Hold(models.Model):
    """Seats a customer holds for a while (bookings/services/holds.py): off sale, not sold.
    Written through PyMongo by holds.py only; this model declares its fields and indexes."""

    # HLD-0001 (shared.ids), unique across events.
    id = models.CharField(primary_key=True, max_length=20, db_column="_id")
    event_id = models.CharField(max_length=20)
    # Null only on VOID fences, which know no customer.
    customer_id = ObjectIdField(null=True, blank=True)
    type = models.CharField(max_length=20, blank=True, default="")
    qty = models.PositiveIntegerField(default=0)
    # The type's price when held: the booking made from the hold pays it.
    unit_price_cents = models.BigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(null=True, blank=True)
    # The waiting-list entry this hold was offered to, or null for a hold the customer asked for.
    entry = models.CharField(max_length=20, null=True, blank=True)
    # LIVE, then RELEASED, EXPIRED, BOOKED or CLOSED; VOID: an id fenced before its hold landed.
    state = models.CharField(max_length=10, default="LIVE")
    ended_at = models.DateTimeField(null=True, blank=True)
    # The booking that claimed it (BOOKED).
    booking = models.CharField(max_length=20, null=True, blank=True)

    class Meta:
        db_table = "holds"
        indexes = [
            # GET /holds/me; the per-customer cap.
            models.Index(fields=["customer_id", "state", "expires_at"], name="hold_customer"),
            models.Index(fields=["event_id", "customer_id", "state"], name="hold_event_customer"),
            # The reconciler's expiry pass; a cancelled event's live holds.
            models.Index(fields=["state", "expires_at"], name="hold_expiry"),
            models.Index(fields=["event_id", "state"], name="hold_event"),
        ]

    def __str__(self):
        return f"{self.id} {self.event_id} {self.state}"
