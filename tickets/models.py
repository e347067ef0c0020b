"""Check-ins and door-staff grants. Written through PyMongo in tickets.services; these
models are the one declaration of the collections' fields and indexes (migrations, admin).

Tickets themselves are not stored: a ticket is a seat of a CONFIRMED booking
(tickets/codes.py), revoked when its booking is cancelled."""

from django.conf import settings
from django.db import models


class Checkin(models.Model):
    """A ticket let in. The ticket id is the primary key, so of any number of scans of one
    ticket, on any number of server processes, exactly one insert lands."""

    # BK-0001-1: the booking and the seat.
    id = models.CharField(primary_key=True, max_length=30, db_column="_id")
    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="checkins")
    booking_id = models.CharField(max_length=20)
    seat = models.PositiveIntegerField()
    ticket_type_id = models.CharField(max_length=20)
    ticket_type_name = models.CharField(max_length=100, blank=True, default="")
    gate = models.CharField(max_length=64)
    # The scanner's id for the scan: the same nonce again answers the same answer.
    nonce = models.CharField(max_length=64)
    # When the scanner saw the code (its clock; an offline scan is uploaded later) ...
    scanned_at = models.DateTimeField()
    # ... and when the server recorded it.
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "checkins"
        indexes = [
            # The organizer's list (newest first) and its counts; the same filtered by gate.
            models.Index(fields=["event", "checked_in_at", "id"], name="checkin_event"),
            models.Index(fields=["event", "gate", "checked_in_at", "id"], name="checkin_event_gate"),
        ]
        constraints = [
            # A nonce admits one ticket: reusing it for another code is refused (422).
            models.UniqueConstraint(fields=["event", "nonce"], name="checkin_event_nonce"),
        ]

    def __str__(self):
        return f"{self.id} at {self.gate}"


class DoorStaff(models.Model):
    """An account the event's organizer lets check tickets in at that event, until revoked."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="door_staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        db_table = "door_staff"
        verbose_name_plural = "door staff"
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="door_staff_event_user")]

    def __str__(self):
        return f"{self.user_id} at {self.event_id}"
