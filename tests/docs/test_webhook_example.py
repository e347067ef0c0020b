"""docs/api.md's webhook verification example, run as written against real deliveries."""

import re
import time
from pathlib import Path

from tests.helpers import book
from tests.webhooks.receiver import Receiver
from webhooks.worker import deliver_due, enqueue

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verify():
    [block] = [b for b in re.findall(r"^```python\n(.*?)^```", API_MD.read_text(), re.S | re.M) if "def verify(" in b]
    namespace = {}
    exec(compile(block, "docs/api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def test_the_documented_check_accepts_real_deliveries_and_refuses_the_rest(settings, create_event, organizer_client, customer_client):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    verify = documented_verify()
    receiver = Receiver()
    try:
        hook = organizer_client.post("/webhooks", {"url": f"{receiver.url}/ok", "events": ["booking.created"]}, format="json").json()
        event_id = create_event(publish=True, capacity=10, price="5.00")["id"]
        book(customer_client, event_id, 1)
        enqueue()
        deliver_due("docs")
        [(_, headers, body, _)] = receiver.to("/ok")
    finally:
        receiver.stop()

    assert verify(hook["secret"], headers, body)
    assert not verify(hook["secret"], headers, body.replace(b'"qty":1', b'"qty":9'))
    assert not verify("whsec_someone-else", headers, body)
    assert not verify(hook["secret"], {**headers, "Webhook-Timestamp": str(int(headers["Webhook-Timestamp"]) + 1)}, body)
    # Older than 5 minutes: refused even though the signature is right.
    assert verify(hook["secret"], headers, body, now=time.time() + 290)
    assert not verify(hook["secret"], headers, body, now=time.time() + 301)
    assert not verify(hook["secret"], {}, body)
