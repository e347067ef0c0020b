"""Webhook endpoints of organizers and their deliveries. Written and read through
PyMongo (webhooks.services, webhooks.worker); these models declare the collections'
fields and indexes."""

from django.conf import settings
from django.db import models


class Webhook(models.Model):
    id = models.CharField(primary_key=True, max_length=20, db_column="_id")
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=2000)
    # The notice kinds it receives (a few at most: the organizer's kinds).
    events = models.JSONField()
    # HMAC-SHA256 key of the signatures; shown once (create, rotate).
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    # Why it stopped: "gone" (it answered 410), or "" while active or switched off by its owner.
    disabled_reason = models.CharField(max_length=40, blank=True, default="")
    # The id of the organizer's last notice already turned into deliveries (notifications.log).
    cursor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "webhooks"
        indexes = [
            models.Index(fields=["organizer", "created_at"], name="webhook_organizer"),
            models.Index(fields=["active"], name="webhook_active"),
        ]


class WebhookDelivery(models.Model):
    """One notice for one endpoint: its id is the `id` of the body, stable across retries."""

    id = models.CharField(primary_key=True, max_length=60, db_column="_id")
    webhook_id = models.CharField(max_length=20)
    organizer_id = models.CharField(max_length=64)
    notice_id = models.BigIntegerField()
    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=16)  # pending, succeeded, failed
    attempts = models.PositiveIntegerField(default=0)
    next_at = models.DateTimeField()
    # A worker that claimed it holds it until then (a crashed one's claim runs out).
    lease_until = models.DateTimeField()
    lease_owner = models.CharField(max_length=40, blank=True, default="")
    first_attempt_at = models.DateTimeField(null=True)
    last_attempt_at = models.DateTimeField(null=True)
    response_code = models.IntegerField(null=True)
    error = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "webhook_deliveries"
        indexes = [
            models.Index(fields=["status", "next_at"], name="delivery_due"),
            models.Index(fields=["webhook_id", "created_at"], name="delivery_webhook"),
        ]
