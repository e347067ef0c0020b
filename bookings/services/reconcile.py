"""The reconciler: settles what requests that died left behind. Run by
`manage.py reconcile_bookings` (once, or `--every N` seconds as its own process:
what `make run` starts beside daphne). Several may run at once: it is safe to."""

import logging
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings

from bookings.services.cascade import cascade
from bookings.services.holds import holds_expire
from bookings.services.idempotency import keys_expire
from bookings.services.markers import CANCELLED, settle_marker
from bookings.signals import reconcile_pass_send, seats_freed_quietly
from shared.ids import counters_catch_up
from shared.mongo import bookings, events
from shared.timeutil import now
from events.models import EventStatus, WaitlistState
from events.store import NO_MARKERS
from notifications.log import notice_recorded, notices, notices_expire
from notifications.services import BOOKING_CANCELLED, BOOKING_CREATED, EVENT_CANCELLED, notify

log = logging.getLogger(__name__)

# Outcomes of settle_marker that put seats back on sale.
SEATS_BACK = {"restored", "finished", "released"}


def bookings_reconcile(*, older_than_seconds=None):
    """Settle the markers of requests that died (older than the threshold), release
    expired holds, finish the cascades of cancelled events, forget expired idempotency
    keys, send signals.reconcile_pass (the waiting list's pass: waitlist.offers.waitlist_reconcile).
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
            if "booking" not in marker:
                continue  # a hold's or the line's marker: no booking, no booking notice
            if outcome == "finished":
                booking = bookings().find_one({"_id": marker["booking"]})
                notify(BOOKING_CANCELLED, booking=booking, event=events().find_one({"_id": event["_id"]}, NO_MARKERS))
            elif outcome == "kept":
                # The booking's request died before (or just after) recording the organizer's
                # notice: record it now, unless it is there (notify records a key once).
                booking = bookings().find_one({"_id": marker["booking"]})
                notify(BOOKING_CREATED, booking=booking, event=events().find_one({"_id": event["_id"]}, NO_MARKERS))
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
    done["notices_recorded"] = cancellation_notices_recover(older_than_seconds=seconds) + event_notices_recover(
        older_than_seconds=seconds
    )
    done["notices_expired"] = notices_expire()
    # The waiting lists': offers expired, and seats put back above (or by requests that died
    # before offering them) offered.
    for counts in reconcile_pass_send(older_than_seconds=seconds):
        done.update(counts)
    return {name: count for name, count in done.items() if count}


def cancellation_notices_recover(*, older_than_seconds):
    """Record the booking.cancelled notices that requests which died after cancelling
    never recorded: bookings cancelled within NOTICE_RECOVERY_MINUTES, and at least
    `older_than_seconds` ago (a live request records its own), without their notice.
    One indexed query over that window per pass (bookings' `cancelled_at` index)."""
    moment = now()
    back = min(timedelta(minutes=settings.NOTICE_RECOVERY_MINUTES), timedelta(days=settings.NOTICE_RETENTION_DAYS))
    window = {"$gte": moment - back, "$lte": moment - timedelta(seconds=older_than_seconds)}
    recorded = 0
    # Bookings cancelled with their event tell their customers (event.cancelled), not the organizer.
    for booking in bookings().find({"cancelled_at": window, "status": CANCELLED, "cancelled_by_event": False}):
        event = events().find_one({"_id": booking["event_id"]}, NO_MARKERS)
        if event is None or notice_recorded(recipient=event["organizer_id"], key=f"{BOOKING_CANCELLED}:{booking['_id']}"):
            continue
        if notify(BOOKING_CANCELLED, booking=booking, event=event):
            recorded += 1
    return recorded


def event_notices_recover(*, older_than_seconds):
    """Record the event.cancelled notices a crash lost after an event's cascade: for
    events cancelled within NOTICE_RECOVERY_MINUTES whose cascade is finished, each
    customer it cancelled a booking of, or who was still in its line, without the
    notice. Read through the (status, starts_at) index: cancelled events that start
    no earlier than a day ago, whatever their number in the past."""
    moment = now()
    back = min(timedelta(minutes=settings.NOTICE_RECOVERY_MINUTES), timedelta(days=settings.NOTICE_RETENTION_DAYS))
    query = {
        "status": EventStatus.CANCELLED.value,
        "starts_at": {"$gte": moment - timedelta(days=1)},
        "cancelled_at": {"$gte": moment - back, "$lte": moment - timedelta(seconds=older_than_seconds)},
        "tickets_sold": 0,
        "seats_held": 0,
    }
    recorded = 0
    for event in events().find(query, {"pending": 0, "holds": 0}):
        holders = bookings().find({"event_id": event["_id"], "status": CANCELLED, "cancelled_by_event": True}, {"customer_id": 1})
        queued = [entry["customer_id"] for entry in event.get("waitlist") or [] if entry["state"] == WaitlistState.CLOSED.value]
        candidates = {str(customer) for customer in [b["customer_id"] for b in holders] + queued if customer is not None}
        if not candidates:
            continue
        key = f"{EVENT_CANCELLED}:{event['_id']}"
        told = {n["recipient"] for n in notices().find({"recipient": {"$in": sorted(candidates)}, "key": key}, {"recipient": 1})}
        missing = sorted(candidates - told)
        if missing and notify(EVENT_CANCELLED, event=event, customer_ids=missing):
            recorded += len(missing)
    return recorded
def counters_check():
    """Move every id counter past the ids in use (shared/ids.py); returns
    {"counters_moved": n} when some were behind, logged."""
    moved = counters_catch_up()
    for prefix, (before, after) in moved.items():
        log.warning("the %s counter was at %s, behind the ids in use: moved to %s", prefix, before, after)
    return {"counters_moved": len(moved)} if moved else {}


def bookings_reconcile_every(seconds, *, older_than_seconds=None, report=None):
    """Run the reconciler every `seconds` until interrupted; a failed pass is logged
    and the next one tries again. The id counters are checked at start and after every
    failed pass (a database that comes back may have come back from a backup or a failover)."""
    check = True
    while True:
        try:
            done = counters_check() if check else {}
            check = False
            done.update(bookings_reconcile(older_than_seconds=older_than_seconds))
            if done:
                (report or _log_report)(done)
        except Exception:
            check = True
            log.exception("reconciling bookings failed; next try in %ss", seconds)
        time.sleep(seconds)


def _log_report(done):
    log.info("reconciled bookings: %s", done)
