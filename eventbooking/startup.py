"""For the processes `make run` starts beside `migrate` (the reconciler, the webhook
worker): wait until the database is migrated before touching it. The local server
creates a collection on first use, and a migration that then creates it fails."""

import time

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def wait_for_migrations(poll_seconds=1):
    while True:
        try:
            executor = MigrationExecutor(connection)
            if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
                return
        except Exception:  # noqa: BLE001 - the database is not up yet
            pass
        time.sleep(poll_seconds)
