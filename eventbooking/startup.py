"""For the processes `make run` starts beside `migrate` (the reconciler, the webhook
worker): wait until the database is migrated before touching it. The local server
creates a collection on first use, and a migration that then creates it fails."""

import time

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def wait_for_migrations(poll_seconds=1, *, waiting=None):
    """Return once the database has every migration; `waiting()` is called once if it
    has to wait (say why a worker is silent: `manage.py migrate` has not run yet)."""
    told = False
    while True:
        try:
            executor = MigrationExecutor(connection)
            if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return
        except Exception:  # noqa: BLE001 - the database is not up yet
            pass
        if waiting is not None and not told:
            waiting()
            told = True
        time.sleep(poll_seconds)
