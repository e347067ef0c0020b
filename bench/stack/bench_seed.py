"""Run inside the tree being measured (cwd = the tree, PYTHONPATH = tree:bench/stack,
DJANGO_SETTINGS_MODULE = bench_settings): makes the organizer and `count` customers
once (in one insert, with a fast hasher: nothing measured logs in), and prints fresh access tokens
minted by the tree's own code as JSON {"organizer": token, "customers": [tokens]}."""

import json
import sys

import django
from django.conf import settings
from django.contrib.auth.hashers import make_password

django.setup()
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

from accounts.models import User  # noqa: E402
from accounts.services import user_issue_tokens  # noqa: E402


def users(role, count):
    """`count` users of `role`, made once (in one insert) and found again in later runs."""
    emails = [f"bench-{role.lower()}-{n}@example.com" for n in range(count)]
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    password = make_password("bench-password-1")
    User.objects.bulk_create(
        [User(email=email, name=f"Bench {role.title()} {n}", role=role, password=password)
         for n, email in enumerate(emails) if email not in found]
    )
    found = {user.email: user for user in User.objects.filter(email__in=emails)}
    return [found[email] for email in emails]


[organizer] = users("ORGANIZER", 1)
customers = users("CUSTOMER", int(sys.argv[1]))
print(json.dumps({
    "organizer": user_issue_tokens(user=organizer)["access"],
    "customers": [user_issue_tokens(user=customer)["access"] for customer in customers],
}))
