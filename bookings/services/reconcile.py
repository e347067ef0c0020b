"""The reconciler: settles what requests that died left behind. Run by
`manage.py reconcile_bookings` (once, or `--every N` seconds as its own process:
what `make run` starts beside daphne). Several may run at once: it is safe to."""

import logging
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings

from bookings.services.cascade import cascade
from bookings.services.holds import holds_expire, seats_freed_quietly
from bookings.services.idempotency import keys_expire
from bookings.services.markers import settle_marker
from eventbooking.mongo import bookings, events
from eventbooking.timeutil import now
from events.models import EventStatus
from events.store import NO_MARKERS
from notifications.services import BOOKING_CANCELLED, notify

log = logging.getLogger(__name__)

# More passes of the same loop, each called with (older_than_seconds=) and returning counts:
# the waiting list registers its own at start-up (waitlist/apps.py).
extra_passes = []

# Outcomes of settle_marker that put seats back on sale.
SEATS_BACK = {"restored", "finished", "released"}


def bookings_reconcile(*, older_than_seconds=None):
    """Settle the markers of requests that died (older than the threshold), release
    expired holds, finish the cascades of cancelled events, forget expired idempotency
    keys, run the `extra_passes` (the waiting list's: waitlist.offers.waitlist_reconcile).
    Returns counts."""
    seconds = settings.RECONCILE_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = now() - timedelta(seconds=seconds)
    done = Counter()
    for event in events().find({"status": EventStatus.PUBLISHED.value, "pending.at": {"$lte": cutoff}}, {"pending": 1}):
        for marker in event["pending"]:
            if marker["at"] > cutoff:
                continue
            try:
                outcome = settle_marker(event["_id"], marker)
            except Exception:  # noqa: BLE001 - one bad marker must not stop the pass for every other event
                log.exception("could not settle the marker of %s on %s", marker.get("booking") or marker.get("entry"), event["_id"])
                done["failed"] += 1
                continue
            done[outcome] += 1
            if outcome in SEATS_BACK:
                seats_freed_quietly(event_id=event["_id"], type_id=marker.get("type"))
            if outcome == "finished":
                booking = bookings().find_one({"_id": marker["booking"]})
                notify(BOOKING_CANCELLED, booking=booking, event=events().find_one({"_id": event["_id"]}, NO_MARKERS))
    done["holds_expired"] = holds_expire()
    # A cancelled event still counting tickets or holds has bookings, markers or holds left to settle.
    unsettled = {
        "status": EventStatus.CANCELLED.value,
        "$or": [{"tickets_sold": {"$gt": 0}}, {"seats_held": {"$gt": 0}}, {"types.waitlist_waiting": {"$gt": 0}}],
    }
    for event in events().find(unsettled, NO_MARKERS):
        done["cancelled_by_event"] += cascade(event=event, older_than_seconds=seconds)
        done["cascades"] += 1
    done["keys_expired"] = keys_expire()
    # The waiting lists': offers expired, and seats put back above (or by requests that died
    # before offering them) offered.
    for extra in extra_passes:
        done.update(extra(older_than_seconds=seconds))
    return {name: count for name, count in done.items() if count}


def bookings_reconcile_every(seconds, *, older_than_seconds=None, report=None):
    """Run the reconciler every `seconds` until interrupted; a failed pass is logged
    and the next one tries again."""
    while True:
        try:
            done = bookings_reconcile(older_than_seconds=older_than_seconds)
            if done:
                (report or _log_report)(done)
        except Exception:
            log.exception("reconciling bookings failed; next try in %ss", seconds)
        time.sleep(seconds)


def _log_report(done):
    log.info("reconciled bookings: %s", done)
