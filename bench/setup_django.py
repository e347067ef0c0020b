"""Shared start of every benchmark: the project on sys.path, Django set up on a
database of the benchmark's own (MONGODB_NAME), DEBUG for the local secret."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventbooking.settings")
    os.environ.setdefault("MONGODB_NAME", database)
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
