from rest_framework import serializers

from shared.pagination import PageInput


class NoticeListInput(PageInput):
    after = serializers.IntegerField(min_value=0, max_value=10**18 - 1, required=False)


class NoticeOutput(serializers.Serializer):
    """One notice as recorded: the same `id`, `type` and `data` a live client gets."""

    id = serializers.IntegerField(help_text="Increases per recipient; the `last_id` to resume after.")
    type = serializers.CharField(help_text="booking.created, booking.cancelled, event.cancelled, waitlist.offer, waitlist.changed")
    created_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The notice's payload, as the real-time clients receive it.")


class NoticeGapOutput(serializers.Serializer):
    after = serializers.IntegerField(help_text="The id asked for.")
    resumes_after = serializers.IntegerField(
        allow_null=True, help_text="Notices after `after` up to this id are no longer kept; null: none is kept."
    )
