from rest_framework import serializers


# An input serializer that answers 400 for fields it does not know: a typo in a
# field name (`capcity`) silently ignored is a bug the client never sees. (A
# comment, not a docstring: drf-spectacular would copy a docstring into every
# input schema's description.)
#
# `validated(data)` is how views read input. A class whose input has a plainly valid
# common form defines `plain_values(data)` beside its fields: the values the serializer
# would give for such input, or None for any other input, which then goes through the
# serializer (so every 400 is the serializer's). Define one only where
# bench/bench_contracts.py shows it pays; tests/foundation/test_contract_twins.py checks
# it against the serializer. `plain_on = False` sends everything through the serializer.
class StrictSerializer(serializers.Serializer):
    plain_on = True

    @classmethod
    def plain_values(cls, data):
        return None

    @classmethod
    def validated(cls, data):
        if cls.plain_on:
            values = cls.plain_values(data)
            if values is not None:
                return values
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


def input_twins():
    """Every input class with a plain_values shortcut of its own or inherited."""
    found, todo = [], [StrictSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.plain_values.__func__ is not StrictSerializer.plain_values.__func__:
            found.append(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
