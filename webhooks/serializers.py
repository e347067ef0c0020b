from rest_framework import serializers

from shared.pagination import PageInput
from shared.serializers import StrictSerializer
from webhooks.services import EVENTS


class EventsField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=EVENTS), allow_empty=False, max_length=len(EVENTS), **kwargs)


class WebhookInput(StrictSerializer):
    url = serializers.URLField(max_length=2000, help_text="https:// on a public address.")
    events = EventsField(help_text="The notices to receive: " + ", ".join(EVENTS) + ".")


class WebhookUpdateInput(StrictSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = EventsField(required=False)
    active = serializers.BooleanField(required=False, help_text="false switches it off; true back on (also after a 410).")


class WebhookOutput(serializers.Serializer):
    id = serializers.CharField(source="_id")
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    active = serializers.BooleanField()
    disabled_reason = serializers.CharField(help_text='"gone": it answered 410; empty otherwise.')
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookWithSecretOutput(WebhookOutput):
    secret = serializers.CharField(help_text="The signing key: shown only here. Keep it on the receiver.")


class DeliveryOutput(serializers.Serializer):
    id = serializers.CharField(source="_id", help_text="The body's `id`, the same on every retry: deduplicate on it.")
    notice_id = serializers.IntegerField()
    type = serializers.CharField(source="kind")
    status = serializers.ChoiceField(choices=["pending", "succeeded", "failed"])
    attempts = serializers.IntegerField()
    response_code = serializers.IntegerField(allow_null=True, help_text="The last attempt's HTTP status; null if none came.")
    error = serializers.CharField(help_text="What went wrong on the last attempt, if anything.")
    created_at = serializers.DateTimeField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    next_attempt_at = serializers.DateTimeField(source="next_at", allow_null=True, help_text="When a pending one is tried next.")


class WebhookListInput(PageInput):
    pass
