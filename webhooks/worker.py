"""The delivery worker: turns the organizers' notices into webhook deliveries and
sends them. `manage.py deliver_webhooks --every` runs it as a process of its own
(what `make run` starts beside daphne); several, on several hosts, share the work.

One pass:
1. Enqueue: for each active webhook, the organizer's notices after its `cursor`
   (notifications.log: a notice is visible only after every earlier one, so the
   cursor never skips one) become deliveries of the kinds it wants, one document per
   (webhook, notice) with a fixed id: workers racing here insert each once. Then the
   cursor moves on.
2. Send: a worker claims one due delivery at a time with a lease (one conditional
   update: pending, due, and no live lease), POSTs it, and records the outcome under
   its lease. A worker that dies mid-delivery leaves the lease to run out, and
   another one sends the delivery again: at least once, never twice otherwise.

The body is read from the notice (the one record the live clients read too). A 2xx
is success; a 410 disables the endpoint; anything else (another status, a
redirect, a timeout, a refused or closed connection, an address that is not
allowed) is retried after WEBHOOK_RETRY_FIRST_SECONDS, doubling up to
WEBHOOK_RETRY_MAX_SECONDS, until WEBHOOK_RETRY_HOURS after the first attempt.
"""

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from shared.timeutil import now
from notifications.log import notice_message, notices
from webhooks.services import FAILED, PENDING, SUCCEEDED, deliveries, webhooks
from webhooks.signing import signature
from webhooks.targets import TargetRefused, resolve

log = logging.getLogger(__name__)

ENQUEUE_BATCH = 500
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
USER_AGENT = "eventbooking-webhooks/1"


def delivery_id(webhook_id, notice_id):
    return f"dlv_{webhook_id}_{notice_id}"


def lease_seconds():
    return settings.WEBHOOK_TIMEOUT_SECONDS * 3 + 5


def enqueue():
    """Step 1 for every active webhook; returns how many deliveries were made."""
    made = 0
    for webhook in webhooks().find({"active": True}, {"secret": 0}):
        made += _enqueue_one(webhook)
    return made


def _enqueue_one(webhook):
    made = 0
    cursor = webhook["cursor"]
    while True:
        docs = list(
            notices().find(
                {"recipient": str(webhook["organizer_id"]), "seq": {"$gt": cursor}},
                {"seq": 1, "kind": 1, "created_at": 1},
                sort=[("seq", ASCENDING)],
                limit=ENQUEUE_BATCH,
            )
        )
        if not docs:
            return made
        moment = now()
        rows = [
            {
                "_id": delivery_id(webhook["_id"], doc["seq"]),
                "webhook_id": webhook["_id"],
                "organizer_id": str(webhook["organizer_id"]),
                "notice_id": doc["seq"],
                "kind": doc["kind"],
                "status": PENDING,
                "attempts": 0,
                "next_at": moment,
                "lease_until": NEVER,
                "lease_owner": "",
                "first_attempt_at": None,
                "last_attempt_at": None,
                "response_code": None,
                "error": "",
                "created_at": moment,
                "expires_at": moment + timedelta(days=settings.NOTICE_RETENTION_DAYS, hours=settings.WEBHOOK_RETRY_HOURS),
            }
            for doc in docs
            if doc["kind"] in webhook["events"]
        ]
        if rows:
            try:
                made += len(deliveries().insert_many(rows, ordered=False).inserted_ids)
            except BulkWriteError as exc:  # another worker made some: each is made once
                made += exc.details.get("nInserted", 0)
        last = docs[-1]["seq"]
        # Conditional: a worker that read an older cursor cannot move it back.
        webhooks().update_one({"_id": webhook["_id"], "cursor": cursor}, {"$set": {"cursor": last}})
        cursor = last


def claim(owner):
    """Step 2's claim: one due delivery, leased to `owner`; None when none is due."""
    moment = now()
    return deliveries().find_one_and_update(
        {"status": PENDING, "next_at": {"$lte": moment}, "lease_until": {"$lte": moment}},
        {"$set": {"lease_until": moment + timedelta(seconds=lease_seconds()), "lease_owner": owner}, "$inc": {"attempts": 1}},
        sort=[("next_at", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )


def body_of(delivery, notice):
    message = notice_message(notice)
    return json.dumps(
        {"id": delivery["_id"], "type": message["type"], "notice_id": message["id"], "created_at": message["created_at"],
         "data": message["data"]},
        separators=(",", ":"),
    ).encode()


def post(webhook, delivery_id, body):
    """(status code, error text): one POST of `body`, signed, to the webhook's URL, on
    the address that was checked; no redirect followed; bounded in time."""
    try:
        parts, host, port, address = resolve(webhook["url"])
    except TargetRefused as refusal:
        return None, refusal.message
    timestamp = int(time.time())
    target = f"[{address}]" if address.version == 6 else str(address)
    url = parts._replace(netloc=f"{target}:{port}").geturl()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": parts.netloc.rsplit("@", 1)[-1],
        "Webhook-Id": delivery_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(webhook["secret"], timestamp, body),
    }
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_SECONDS)
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            # Only the status matters: the answer's body is never read, so connecting, sending
            # and the status line are each bounded by the timeout (the lease covers all three).
            request = client.build_request("POST", url, content=body, headers=headers, extensions=extensions)
            response = client.send(request, stream=True)
            response.close()
        return response.status_code, ""
    except httpx.TimeoutException:
        return None, "timeout"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:200]


def retry_at(delivery, moment):
    """When to try again, or None to give up (WEBHOOK_RETRY_HOURS after the first attempt)."""
    delay = min(settings.WEBHOOK_RETRY_FIRST_SECONDS * 2 ** (delivery["attempts"] - 1), settings.WEBHOOK_RETRY_MAX_SECONDS)
    first = delivery.get("first_attempt_at") or moment
    at = moment + timedelta(seconds=delay)
    return at if at <= first + timedelta(hours=settings.WEBHOOK_RETRY_HOURS) else None


def deliver(delivery, owner):
    """Send a claimed delivery and record what happened (under the lease). Returns its status."""
    webhook = webhooks().find_one({"_id": delivery["webhook_id"]})
    moment = now()
    first = delivery.get("first_attempt_at") or moment
    if webhook is None or not webhook["active"]:
        code, error = None, "endpoint disabled" if webhook else "endpoint deleted"
        status, next_at = FAILED, moment
    else:
        notice = notices().find_one({"recipient": delivery["organizer_id"], "seq": delivery["notice_id"]})
        if notice is None:
            code, error = None, "notice expired"
            status, next_at = FAILED, moment
        else:
            code, error = post(webhook, delivery["_id"], body_of(delivery, notice))
            if code is not None and 200 <= code < 300:
                status, next_at = SUCCEEDED, moment
            elif code == 410:
                status, next_at, error = FAILED, moment, "endpoint gone (410): disabled"
                webhooks().update_one({"_id": webhook["_id"]}, {"$set": {"active": False, "disabled_reason": "gone", "updated_at": moment}})
            else:
                next_at = retry_at({**delivery, "first_attempt_at": first}, now())
                status = PENDING if next_at is not None else FAILED
                next_at = next_at or moment
                error = error or f"HTTP {code}"
    deliveries().update_one(
        {"_id": delivery["_id"], "lease_owner": owner},
        {"$set": {"status": status, "next_at": next_at, "lease_until": NEVER, "lease_owner": "", "response_code": code,
                  "error": error, "first_attempt_at": first, "last_attempt_at": now()}},
    )
    return status


def deliver_due(owner_prefix, limit=None):
    """Claim and send due deliveries until none is due (or `limit` were sent); returns the count."""
    sent = 0
    while limit is None or sent < limit:
        owner = f"{owner_prefix}:{uuid.uuid4().hex[:12]}"
        delivery = claim(owner)
        if delivery is None:
            return sent
        try:
            deliver(delivery, owner)
        except Exception:  # noqa: BLE001 - the lease runs out and the delivery is tried again
            log.exception("webhook delivery %s failed unexpectedly", delivery["_id"])
        sent += 1
    return sent


def expire():
    """Deliveries past their expiry (what the TTL index does on a real MongoDB)."""
    return deliveries().delete_many({"expires_at": {"$lte": now()}}).deleted_count


def run_every(seconds, *, concurrency=None, stop=None):
    """Enqueue and send every `seconds` until `stop` is set; `concurrency` senders at once."""
    concurrency = concurrency or settings.WEBHOOK_CONCURRENCY
    stop = stop or threading.Event()
    name = uuid.uuid4().hex[:8]
    passes = 0
    with ThreadPoolExecutor(concurrency, thread_name_prefix="webhooks") as pool:
        while not stop.is_set():
            try:
                enqueue()
                list(pool.map(lambda n: deliver_due(f"{name}-{n}"), range(concurrency)))
                passes += 1
                if passes % 600 == 0:
                    expire()
            except Exception:
                log.exception("webhook pass failed; next try in %ss", seconds)
            stop.wait(seconds)
