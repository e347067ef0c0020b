"""Documents written through PyMongo read back through their ORM models unchanged."""

from notifications.log import notice_record
from notifications.models import Notice
from webhooks.models import Webhook, WebhookDelivery
from webhooks.services import webhook_create
from webhooks.worker import enqueue
from shared.mongo import collection
from tests.helpers import book


def test_the_log_webhooks_and_deliveries_read_back_through_their_models(create_event, organizer, customer_client):
    doc = notice_record(recipient=organizer.pk, kind="booking.created", data={"booking_id": "BK-0001", "qty": 2}, key="k")
    notice = Notice.objects.get(recipient=str(organizer.pk), seq=doc["seq"])
    assert (notice.kind, notice.key, notice.data, notice.created_at) == ("booking.created", "k", {"booking_id": "BK-0001", "qty": 2}, doc["created_at"])

    hook = webhook_create(organizer=organizer, url="https://hooks.example.com/in", events=["booking.created"])
    stored = Webhook.objects.get(pk=hook["_id"])
    assert (stored.organizer_id, stored.url, stored.events, stored.active, stored.cursor) == (
        organizer.pk, hook["url"], ["booking.created"], True, hook["cursor"])

    book(customer_client, create_event(publish=True, capacity=5, price="5.00")["id"], 1)
    enqueue()
    row = collection("webhook_deliveries").find_one({"webhook_id": hook["_id"]})
    delivery = WebhookDelivery.objects.get(pk=row["_id"])
    assert (delivery.notice_id, delivery.kind, delivery.status, delivery.attempts) == (row["notice_id"], "booking.created", "pending", 0)
