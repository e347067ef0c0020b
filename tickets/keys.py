"""The keys that sign and verify ticket codes (Ed25519, from the `cryptography` package).

Settings (eventbooking/settings.py): TICKET_SIGNING_KEY, "<key id>:<base64url private
key>", signs every code made now; TICKET_VERIFY_KEYS, "<key id>:<base64url public key>"
entries, are earlier keys whose codes still verify. Rotating: a new signing key with a
new id, the old one's public half moved to TICKET_VERIFY_KEYS; codes already given out
keep working until their key is removed from that list. Every key that verifies is
published at /.well-known/ticket-keys, so a scanner checks codes with no network.
"""

import base64
import binascii
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_KEY_ID = 65535  # two bytes in the code


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _entry(text, setting):
    """(key id, 32 raw bytes) of a "<key id>:<base64url>" entry."""
    kid, sep, material = text.strip().partition(":")
    try:
        number = int(kid)
        raw = unb64url(material)
    except (ValueError, binascii.Error):
        number, raw = None, b""
    if not sep or number is None or not 1 <= number <= MAX_KEY_ID or len(raw) != 32:
        raise ImproperlyConfigured(
            f"{setting}: {text[:12]!r}... is not '<key id 1-{MAX_KEY_ID}>:<base64url 32-byte key>' (make one with `python -m tickets.keys`)."
        )
    return number, raw


class KeyRing:
    def __init__(self, signing, verifying):
        kid, raw = _entry(signing, "TICKET_SIGNING_KEY")
        self.kid = kid
        self.private = Ed25519PrivateKey.from_private_bytes(raw)
        self.public = {kid: self.private.public_key()}
        for text in verifying:
            other, raw = _entry(text, "TICKET_VERIFY_KEYS")
            if other in self.public:
                raise ImproperlyConfigured(f"TICKET_VERIFY_KEYS: key id {other} is given twice (or is the signing key's).")
            self.public[other] = Ed25519PublicKey.from_public_bytes(raw)

    def sign(self, message):
        return self.private.sign(message)

    def verify(self, kid, signature, message):
        """True when `signature` is the key `kid`'s over `message`; False for an unknown key too."""
        key = self.public.get(kid)
        if key is None:
            return False
        try:
            key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def published(self):
        """The verifying keys as a JSON Web Key Set (RFC 8037 OKP keys), the signing key first."""
        order = [self.kid] + sorted(kid for kid in self.public if kid != self.kid)
        return {
            "keys": [
                {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": str(kid),
                 "x": b64url(self.public[kid].public_bytes(Encoding.Raw, PublicFormat.Raw)), "current": kid == self.kid}
                for kid in order
            ]
        }


@lru_cache(maxsize=4)
def _ring(signing, verifying):
    return KeyRing(signing, verifying)


def keyring():
    """The keys of the current settings (parsed once per distinct setting)."""
    return _ring(settings.TICKET_SIGNING_KEY, tuple(settings.TICKET_VERIFY_KEYS))


def new_key(kid):
    """A fresh signing key entry and its public entry: ("<kid>:<private>", "<kid>:<public>")."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"{kid}:{b64url(raw)}", f"{kid}:{b64url(public)}"


def public_entry(signing):
    """The "<kid>:<public>" entry of a signing key entry (what TICKET_VERIFY_KEYS takes after a rotation)."""
    kid, raw = _entry(signing, "TICKET_SIGNING_KEY")
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return f"{kid}:{b64url(public)}"


if __name__ == "__main__":
    # `python -m tickets.keys [key id]`: a first key, without settings (which refuse to load without one).
    import sys

    print(new_key(int(sys.argv[1]) if len(sys.argv) > 1 else 1)[0])
