from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import Role, User, normalize_email
from shared.serializers import StrictSerializer


class RegisterInput(StrictSerializer):
    name = serializers.CharField(max_length=150, trim_whitespace=True)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    role = serializers.ChoiceField(
        choices=Role.choices,
        error_messages={"invalid_choice": f'"{{input}}" is not a role: give {" or ".join(Role.values)}.'},
    )

    def validate_email(self, value):
        return normalize_email(value)

    def validate(self, attrs):
        candidate = User(name=attrs["name"], email=attrs["email"], role=attrs["role"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}, code="weak_password")
        return attrs


class LoginInput(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


class UserOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    date_joined = serializers.DateTimeField()


class TokensOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserOutput()
