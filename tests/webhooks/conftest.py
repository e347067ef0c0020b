import pytest

from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def private_targets(settings):
    """Let webhooks point at the local receiver (http, 127.0.0.1), as in development."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_FIRST_SECONDS = 0.2
    settings.WEBHOOK_RETRY_MAX_SECONDS = 1
    return settings
