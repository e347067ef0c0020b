"""The notice log: what each user was told, one document per (recipient, seq).
Written and read through PyMongo in notifications.log; this model declares the
collection's fields and indexes."""

from django.db import models


class Notice(models.Model):
    # The user told, as str(user id); seq increases per recipient with no hole (notifications.log).
    recipient = models.CharField(max_length=64)
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    # What makes two records the same notice (e.g. "booking.created:BK-0001"): the
    # reconciler records a notice a crash lost without recording it twice.
    key = models.CharField(max_length=200)
    data = models.JSONField()
    created_at = models.DateTimeField()
    # Removed by the database once past (a TTL index, migration 0001; the reconciler
    # also deletes them on servers without TTL indexes).
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "notices"
        constraints = [
            models.UniqueConstraint(fields=["recipient", "seq"], name="notice_recipient_seq"),
            models.UniqueConstraint(fields=["recipient", "key"], name="notice_recipient_key"),
        ]

    def __str__(self):
        return f"{self.recipient}#{self.seq} {self.kind}"
