"""The signature of a webhook delivery: HMAC-SHA256, keyed with the endpoint's secret,
over "<timestamp>.<body>" (the Webhook-Timestamp header, a dot, the raw body bytes),
sent as `Webhook-Signature: v1=<hex>`. docs/api.md shows a receiver's check."""

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def secret_new():
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret, timestamp, body):
    """The Webhook-Signature header's value for `body` (bytes) sent at `timestamp` (int)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"
