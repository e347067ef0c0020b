import pytest

from eventbooking.mongo import collection


def sell(event_id, qty, price_cents=1250):
    """Seats sold, written straight into the event as a booking would (bookings are another app)."""
    collection("events").update_one(
        {"_id": event_id},
        {"$inc": {"seats_available": -qty, "tickets_sold": qty, "revenue_cents": qty * price_cents}},
    )


@pytest.fixture
def draft_event(create_event):
    return create_event()


@pytest.fixture
def published_event(create_event):
    return create_event(publish=True)
