"""Organizers' webhook endpoints: create, update, delete, rotate the secret, redeliver.
Nothing here sends anything: the delivery worker (webhooks.worker) does."""

from django.conf import settings

from shared.errors import Conflict, NotFound
from shared.ids import WEBHOOK, WEBHOOK_ID, next_public_id
from shared.mongo import collection
from shared.timeutil import now
from notifications.log import notice_head
from notifications.services import BOOKING_CANCELLED, BOOKING_CREATED, WAITLIST_CHANGED
from webhooks.signing import secret_new
from webhooks.targets import url_check

# What an organizer is told: the notices a webhook can carry.
EVENTS = (BOOKING_CREATED, BOOKING_CANCELLED, WAITLIST_CHANGED)
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


def webhooks():
    return collection("webhooks")


def deliveries():
    return collection("webhook_deliveries")


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    message = "No such webhook."


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"
    message = "No such delivery of this webhook."


class TooManyWebhooks(Conflict):
    code = "too_many_webhooks"


def webhook_get(*, organizer, webhook_id):
    """The organizer's own webhook, or WebhookNotFound (also for another's)."""
    doc = webhooks().find_one({"_id": webhook_id, "organizer_id": organizer.pk}) if WEBHOOK_ID.fullmatch(webhook_id) else None
    if doc is None:
        raise WebhookNotFound()
    return doc


def webhook_create(*, organizer, url, events):
    """A new endpoint; it receives the organizer's notices recorded from now on.
    Returns the document, secret included (shown this once)."""
    url_check(url)
    if webhooks().count_documents({"organizer_id": organizer.pk}) >= settings.WEBHOOK_MAX_PER_ORGANIZER:
        raise TooManyWebhooks(f"At most {settings.WEBHOOK_MAX_PER_ORGANIZER} webhooks per organizer.")
    moment = now()
    doc = {
        "_id": next_public_id(WEBHOOK),
        "organizer_id": organizer.pk,
        "url": url,
        "events": sorted(set(events)),
        "secret": secret_new(),
        "active": True,
        "disabled_reason": "",
        "cursor": notice_head(str(organizer.pk)) or 0,
        "created_at": moment,
        "updated_at": moment,
    }
    webhooks().insert_one(doc)
    return doc


def webhook_update(*, organizer, webhook_id, url=None, events=None, active=None):
    """Change the URL, the events or switch it on or off; switching it back on after a
    410 starts from the notices recorded from then on."""
    current = webhook_get(organizer=organizer, webhook_id=webhook_id)
    changes = {"updated_at": now()}
    if url is not None:
        url_check(url)
        changes["url"] = url
    if events is not None:
        changes["events"] = sorted(set(events))
    if active is not None:
        changes["active"] = active
        changes["disabled_reason"] = ""
        if active and not current["active"]:
            changes["cursor"] = max(current["cursor"], notice_head(str(organizer.pk)) or 0)
    webhooks().update_one({"_id": current["_id"]}, {"$set": changes})
    return {**current, **changes}


def webhook_delete(*, organizer, webhook_id):
    current = webhook_get(organizer=organizer, webhook_id=webhook_id)
    webhooks().delete_one({"_id": current["_id"]})
    deliveries().delete_many({"webhook_id": current["_id"]})


def webhook_rotate_secret(*, organizer, webhook_id):
    """A new secret, effective for every delivery from now on (the old one stops working)."""
    current = webhook_get(organizer=organizer, webhook_id=webhook_id)
    changes = {"secret": secret_new(), "updated_at": now()}
    webhooks().update_one({"_id": current["_id"]}, {"$set": changes})
    return {**current, **changes}


def delivery_redeliver(*, organizer, webhook_id, delivery_id):
    """Send a delivery again, soon, whatever became of it; retried for another
    WEBHOOK_RETRY_HOURS if it fails. Its id (and so the receiver's dedup) stays."""
    webhook = webhook_get(organizer=organizer, webhook_id=webhook_id)
    moment = now()
    doc = deliveries().find_one_and_update(
        {"_id": delivery_id, "webhook_id": webhook["_id"]},
        {"$set": {"status": PENDING, "next_at": moment, "first_attempt_at": None, "error": ""}},
        return_document=True,
    )
    if doc is None:
        raise DeliveryNotFound()
    return doc
