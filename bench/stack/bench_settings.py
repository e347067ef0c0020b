"""The settings of the tree being measured (its own eventbooking.settings, found first
on PYTHONPATH), with a URLconf that adds the constant endpoint (bench_urls). The
benchmark puts this folder on PYTHONPATH after the tree, so an older tree gets the
endpoint too without changes."""

from eventbooking.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
