"""Codes made the way an attacker would: the published byte layout (docs/api.md, "The
ticket code") signed with a key of their own, or a genuine code with bytes changed. Built
with `cryptography` directly, not with the service's code."""

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def decode(code):
    return base64.b32decode(code + "=" * (-len(code) % 8))


def encode(raw):
    return base64.b32encode(raw).decode().rstrip("=")


def payload(*, event, booking, seat, ticket_type, kid=1, version=1):
    return (version.to_bytes(1, "big") + kid.to_bytes(2, "big") + event.to_bytes(6, "big") + booking.to_bytes(6, "big")
            + seat.to_bytes(2, "big") + ticket_type.to_bytes(6, "big"))


def signed_by_another_key(**fields):
    data = payload(**fields)
    return encode(data + Ed25519PrivateKey.generate().sign(data))


def with_byte_changed(code, index, value):
    raw = bytearray(decode(code))
    raw[index] = value
    return encode(bytes(raw))


def number(public_id):
    return int(public_id.rsplit("-", 1)[1])
