from django.contrib.auth.hashers import make_password
from django.db import IntegrityError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User, normalize_email
from shared.errors import Conflict


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


def user_register(*, name, email, password, role):
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        # The hash a new account costs: "taken" is no quicker to learn than a login answer.
        make_password(password)
        raise EmailTaken()
    try:
        return User.objects.create_user(email=email, password=password, name=name, role=role)
    except IntegrityError as exc:
        # Two registrations raced past the check: the unique index decides.
        raise EmailTaken() from exc


def user_issue_tokens(*, user):
    refresh = RefreshToken.for_user(user)
    # Claims on the refresh token are copied into every access token minted from it.
    refresh["role"] = user.role
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
