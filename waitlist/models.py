"""The waiting-list collection: one document per entry (waitlist/line.py). Written through
PyMongo by waitlist/line.py only; this model is the one declaration of its fields and indexes."""

from django.db import models
from django_mongodb_backend.fields import ObjectIdField

from events.models import WaitlistState


class Entry(models.Model):
    # WL-0001 (shared.ids), unique across events.
    id = models.CharField(primary_key=True, max_length=20, db_column="_id")
    event_id = models.CharField(max_length=20)
    customer_id = ObjectIdField()
    type = models.CharField(max_length=20)
    qty = models.PositiveIntegerField()
    # The line's order within its event: taken from the event's `line_seq` counter by the
    # update that counted the entry in (ties, if any, broken by id).
    seq = models.BigIntegerField()
    at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=WaitlistState.choices)
    # The hold offered to it (bookings.Hold) once OFFERED.
    hold = models.CharField(max_length=20, null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    # The offer was sent to the customer (the reconciler sends those a crash left untold).
    notified = models.BooleanField(default=False)
    # "<event id>:<customer id>" while in line (WAITING, OFFERED), the entry's own id once
    # finished: the unique index on it is "one live entry per customer per event".
    line_key = models.CharField(max_length=64, unique=True)
    # When it left the line (LEFT, BOOKED, EXPIRED, CLOSED); the marker that moved it names this time.
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "waitlist_entries"
        indexes = [
            # first fitting: an event's WAITING entries in line order; a place in line: the count before it.
            models.Index(fields=["event_id", "state", "seq"], name="waitlist_line"),
            models.Index(fields=["event_id", "type", "state", "seq"], name="waitlist_type_line"),
            # GET /waitlist/me, newest first.
            models.Index(fields=["customer_id", "at"], name="waitlist_customer"),
            # The reconciler: offers made before a cutoff (not announced, or their hold ended).
            models.Index(fields=["state", "offered_at"], name="waitlist_offered"),
        ]

    def __str__(self):
        return f"{self.id} {self.event_id} {self.state}"
