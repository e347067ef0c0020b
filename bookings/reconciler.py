"""The reconciler's periodic run inside the server (bookings.services.bookings_reconcile).

Started once per daphne process from BookingsConfig.ready(); never under
manage.py (migrate, the reconcile_bookings command) or pytest, which call the
reconciler themselves. Several processes may run it at once: it is safe to.
"""

import logging
import sys
import threading
import time
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)
_lock = threading.Lock()
_started = False


def serving():
    """True in `daphne ...` and `python -m daphne ...`."""
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return program.name == "daphne" or program.parent.name == "daphne"


def start_in_server():
    global _started
    interval = settings.RECONCILE_INTERVAL_SECONDS
    with _lock:
        if _started or interval <= 0 or not serving():
            return
        _started = True
    threading.Thread(target=_run_forever, args=(interval,), name="bookings-reconciler", daemon=True).start()


def _run_forever(interval):
    from bookings.services import bookings_reconcile

    while True:
        time.sleep(interval)
        try:
            done = bookings_reconcile()
            if done:
                log.info("reconciled bookings: %s", done)
        except Exception:
            log.exception("reconciling bookings failed; next try in %ss", interval)
