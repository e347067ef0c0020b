"""Create a staff user for the Django admin.

    STAFF_EMAIL=... STAFF_PASSWORD=... [STAFF_NAME=...] python manage.py createstaff --no-input
    python manage.py createstaff            # prompts for what the environment lacks
"""

import getpass
import os
import sys

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User, normalize_email


class Command(BaseCommand):
    help = "Create a staff (superuser) account for /admin/ from STAFF_EMAIL/STAFF_PASSWORD/STAFF_NAME or prompts."

    def add_arguments(self, parser):
        parser.add_argument("--no-input", action="store_true", help="Fail instead of prompting.")

    def _value(self, name, prompt, interactive, secret=False):
        value = os.environ.get(name, "")
        if value or not interactive:
            return value
        return getpass.getpass(prompt) if secret else input(prompt)

    def handle(self, *args, no_input=False, **options):
        # No terminal (CI, a pipe): take the environment or fail, never wait on a prompt.
        interactive = not no_input and sys.stdin.isatty()
        email = normalize_email(self._value("STAFF_EMAIL", "Email: ", interactive))
        name = self._value("STAFF_NAME", "Name: ", interactive) or "Staff"
        password = self._value("STAFF_PASSWORD", "Password: ", interactive, secret=True)
        if not email or not password:
            raise CommandError("STAFF_EMAIL and STAFF_PASSWORD are required.")
        try:
            # The API's register endpoint and the admin's user form validate the same way.
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{email!r} is not a valid email address.") from exc
        if User.objects.filter(email=email).exists():
            raise CommandError(f"A user with email {email} already exists.")
        try:
            password_validation.validate_password(password, User(email=email, name=name))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        User.objects.create_superuser(email=email, password=password, name=name, role=Role.ORGANIZER)
        self.stdout.write(self.style.SUCCESS(f"Staff user {email} created."))
