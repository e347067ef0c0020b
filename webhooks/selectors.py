from shared.pagination import paginate
from webhooks.services import deliveries, webhook_get, webhooks


def webhook_list(*, organizer, page, page_size):
    return paginate(webhooks(), {"organizer_id": organizer.pk}, sort=[("created_at", 1), ("_id", 1)], page=page, page_size=page_size)


def delivery_list(*, organizer, webhook_id, page, page_size):
    """The webhook's deliveries, newest first."""
    webhook = webhook_get(organizer=organizer, webhook_id=webhook_id)
    query = {"webhook_id": webhook["_id"]}
    return paginate(deliveries(), query, sort=[("created_at", -1), ("_id", -1)], page=page, page_size=page_size)
