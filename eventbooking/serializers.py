from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """An input serializer that answers 400 for fields it does not know.

    A typo in a field name (`capcity`) silently ignored is a bug the client never
    sees, so unknown keys are rejected with a per-field message.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)
