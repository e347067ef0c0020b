"""The settings of the tree being measured (its own eventbooking.settings, found first
on PYTHONPATH), with a URLconf that adds the constant endpoint (bench_urls). The
benchmark puts this folder on PYTHONPATH after the tree, so an older tree gets the
endpoint too without changes. BENCH_ASYNC_MIDDLEWARE=1: the project's middleware in
its sync-and-async capable form (bench_middleware), for Django's stock ASGI handler."""

import os

from eventbooking.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"

if os.environ.get("BENCH_ASYNC_MIDDLEWARE") == "1":
    MIDDLEWARE = [  # noqa: F405
        name.replace("server.middleware.", "bench_middleware.") for name in MIDDLEWARE  # noqa: F405
    ]
