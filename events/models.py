"""The event collection. Written through PyMongo, only by events.store;
this model is the one declaration of its fields and indexes (migrations, admin)."""

from django.conf import settings
from django.db import models
from django_mongodb_backend.fields import ArrayField, EmbeddedModelArrayField, ObjectIdField
from django_mongodb_backend.models import EmbeddedModel


# The sorts a listing offers: API name -> stored field; each stored one has an index
# with status (Event.Meta.indexes). `price` sorts by the lowest price of an event's types.
SORT_FIELDS = {"starts_at": "starts_at", "price": "price_cents", "title": "title_key", "created_at": "created_at"}


class EventStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    CANCELLED = "CANCELLED", "Cancelled"


class PendingSeats(EmbeddedModel):
    """A step in flight: seats taken by a booking whose document may not exist yet (see
    bookings/services/markers.py), or a counter move a waiting-list entry still owes
    (`kind` "entry", waitlist/protocol.py). Each leaves within seconds."""

    booking = models.CharField(max_length=20, blank=True, default="")
    kind = models.CharField(max_length=10, blank=True, default="")
    entry = models.CharField(max_length=20, null=True, blank=True)
    hold = models.CharField(max_length=20, null=True, blank=True)
    then = models.CharField(max_length=10, blank=True, default="")
    # The ticket type whose seats the marker holds (TicketType.id).
    type = models.CharField(max_length=20, blank=True, default="")
    qty = models.PositiveIntegerField()
    amount_cents = models.BigIntegerField(default=0)
    at = models.DateTimeField()
    # "book" (a new booking's seats) or "cancel" (a cancellation's); "" in markers written before.
    op = models.CharField(max_length=10, blank=True, default="")


class SeatHold(EmbeddedModel):
    """The shape of holds when they were embedded in events (`holds`), kept for migrations
    0005-0009 only; holds now live in their own collection (bookings/models.py Hold)."""

    # HLD-0001 (shared.ids), unique across events.
    id = models.CharField(primary_key=True, max_length=20)
    customer_id = ObjectIdField()
    type = models.CharField(max_length=20)
    qty = models.PositiveIntegerField()
    # The type's price when held: the booking made from the hold pays it.
    unit_price_cents = models.BigIntegerField()
    expires_at = models.DateTimeField()
    at = models.DateTimeField()
    # The waiting-list entry this hold was offered to, or null for a hold the customer asked for.
    entry = models.CharField(max_length=20, null=True, blank=True)


class WaitlistState(models.TextChoices):
    """WAITING -> OFFERED (a hold kept for it) -> BOOKED (claimed) or EXPIRED (not claimed in time);
    CLOSED: still in line when the event was cancelled."""

    WAITING = "WAITING", "Waiting"
    OFFERED = "OFFERED", "Offered"
    BOOKED = "BOOKED", "Booked"
    EXPIRED = "EXPIRED", "Expired"
    CLOSED = "CLOSED", "Closed (the event was cancelled)"


class WaitlistEntry(EmbeddedModel):
    """The shape of the waiting line's entries when they were embedded in events (`waitlist`),
    kept for migrations 0006-0008 only; entries now live in their own collection (waitlist/models.py)."""

    id = models.CharField(primary_key=True, max_length=20)
    customer_id = ObjectIdField()
    type = models.CharField(max_length=20)
    qty = models.PositiveIntegerField()
    at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=WaitlistState.choices)
    hold = models.CharField(max_length=20, null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    notified = models.BooleanField(default=False)


class TicketType(EmbeddedModel):
    """One kind of ticket an event sells, embedded in the event document (`types`), so
    one conditional update takes the type's seats and the event's together.
    Invariant per type: capacity == seats_available + seats_held + confirmed qty of the type."""

    # TT-0001: unique across events (shared.ids), so a booking names its type alone.
    id = models.CharField(primary_key=True, max_length=20)
    name = models.CharField(max_length=100)
    price_cents = models.BigIntegerField(default=0)
    capacity = models.PositiveIntegerField()
    seats_available = models.IntegerField()
    tickets_sold = models.IntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)
    # Seats under live holds: neither available nor sold.
    seats_held = models.IntegerField(default=0)
    # Waiting-list entries waiting for this type: while > 0 its free seats are owed to them.
    waitlist_waiting = models.IntegerField(default=0)
    sales_start = models.DateTimeField(null=True, blank=True)
    sales_end = models.DateTimeField(null=True, blank=True)
    max_per_booking = models.PositiveIntegerField(null=True, blank=True)
    sort_order = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.id} {self.name}"


class Event(models.Model):
    id = models.CharField(primary_key=True, max_length=20, db_column="_id")
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="events")
    title = models.CharField(max_length=200)
    # Lowercased title: sorting by title ignores case (the local server has no collations).
    title_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    description = models.TextField(blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    # Lowercased city: the case-insensitive exact filter uses this indexed copy.
    city_key = models.CharField(max_length=100, blank=True, default="", editable=False)
    venue = models.CharField(max_length=200, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    # Money is kept in integer cents: exact, and summable by any MongoDB server.
    # The lowest price of the event's ticket types (the "from" price listings sort by).
    price_cents = models.BigIntegerField(default=0)
    # The event's seats: the sum of its types' capacities, or the organizer's lower
    # overall quota (`quota`, null when none); bookings respect both limits at once.
    capacity = models.PositiveIntegerField()
    quota = models.PositiveIntegerField(null=True, blank=True)
    types = EmbeddedModelArrayField(TicketType, default=list, blank=True)
    seats_available = models.IntegerField()
    tickets_sold = models.IntegerField(default=0)
    revenue_cents = models.BigIntegerField(default=0)
    # Seats under live holds (bookings.Hold): capacity == seats_available + seats_held + tickets_sold.
    seats_held = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    pending = EmbeddedModelArrayField(PendingSeats, default=list, blank=True)
    # The waiting line's order: each entry counted in takes the next (waitlist/models.py `seq`).
    line_seq = models.BigIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Incremented by every write that changes what readers are shown (events/store.py);
    # cached copies are served only while theirs is this one (events/cache.py).
    version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        db_table = "events"
        # Each list query is an equality on status (public) or organizer (own list),
        # then a range or sort; every sort ends on _id so pages never overlap.
        # Bookings only touch seat and money fields, none of them indexed.
        indexes = [
            models.Index(fields=["status", "starts_at", "id"], name="event_public_starts"),
            models.Index(fields=["status", "price_cents", "id"], name="event_public_price"),
            models.Index(fields=["status", "title_key", "id"], name="event_public_title"),
            models.Index(fields=["status", "created_at", "id"], name="event_public_created"),
            models.Index(fields=["status", "city_key", "starts_at", "id"], name="event_public_city"),
            models.Index(fields=["status", "tags", "starts_at", "id"], name="event_public_tags"),
            models.Index(fields=["organizer", "created_at", "id"], name="event_organizer"),
            models.Index(fields=["organizer", "status", "created_at", "id"], name="event_organizer_status"),
        ]

    def __str__(self):
        return f"{self.id} {self.title}"
