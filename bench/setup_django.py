"""Shared start of every benchmark: the project on sys.path, Django set up on a
database of the benchmark's own (MONGODB_NAME), DEBUG for the local secret."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database):
    sys.path.insert(0, str(ROOT))
    # The test settings: the project's, with a fast password hasher for seeding users (nothing measured logs in).
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    os.environ.setdefault("MONGODB_NAME", database)
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
