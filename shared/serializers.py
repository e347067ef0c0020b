from rest_framework import serializers


# An input serializer that answers 400 for fields it does not know: a typo in a
# field name (`capcity`) silently ignored is a bug the client never sees. (A
# comment, not a docstring: drf-spectacular would copy a docstring into every
# input schema's description.)
class StrictSerializer(serializers.Serializer):
    @classmethod
    def validated(cls, data):
        """The validated input, or the serializer's 400."""
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


class WholeNumberField(serializers.IntegerField):
    """A JSON integer: "2", 2.0 and true are type errors here, not quietly converted."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)
