"""Ticket ids and the signed code a ticket's QR carries (docs/api.md, "The ticket code").

A ticket is one seat of a CONFIRMED booking: `BK-0001-1` ... `BK-0001-<qty>`. Nothing is
stored for it; its code is derived from the booking and signed when it is shown.

The code is 87 bytes written in RFC 4648 base32, upper case, no padding (140
characters, all in the QR alphanumeric set, so the QR stays small and robust):

    offset size  field
    0      1     format version (1)
    1      2     key id (unsigned, big-endian)
    3      6     event number      (EVT-0042 -> 42)
    9      6     booking number    (BK-0007 -> 7)
    15     2     seat: 1 .. the booking's qty
    17     6     ticket type number (TT-0003 -> 3)
    23     64    Ed25519 signature of bytes 0-22 by the key `key id`
"""

import base64
import binascii
import re
from dataclasses import dataclass

from shared.errors import DomainError
from shared.ids import BOOKING, BOOKING_ID, EVENT, TICKET_TYPE
from tickets.keys import keyring

VERSION = 1
PAYLOAD = 23
LENGTH = PAYLOAD + 64
TEXT_LENGTH = 140
TICKET_ID = re.compile(rf"({BOOKING_ID.pattern})-([1-9][0-9]{{0,4}})")
BASE32 = re.compile(r"[A-Z2-7]+")


class CodeMalformed(DomainError):
    code = "ticket_code_malformed"
    message = "This is not a ticket code of this service (wrong length, characters or format)."
    field = "code"


class SignatureInvalid(DomainError):
    code = "ticket_signature_invalid"
    message = "The ticket code's signature does not verify: forged, altered, or signed by a key no longer accepted."
    field = "code"


@dataclass(frozen=True)
class Ticket:
    event_id: str
    booking_id: str
    seat: int
    ticket_type_id: str
    kid: int = 0

    @property
    def id(self):
        return ticket_id(self.booking_id, self.seat)


def ticket_id(booking_id, seat):
    return f"{booking_id}-{seat}"


def number(public_id):
    return int(public_id.rsplit("-", 1)[1])


def _payload(ticket, kid):
    return b"".join([
        VERSION.to_bytes(1, "big"),
        kid.to_bytes(2, "big"),
        number(ticket.event_id).to_bytes(6, "big"),
        number(ticket.booking_id).to_bytes(6, "big"),
        ticket.seat.to_bytes(2, "big"),
        number(ticket.ticket_type_id).to_bytes(6, "big"),
    ])


def code_for(ticket):
    """The signed code of `ticket`, with the current signing key."""
    ring = keyring()
    payload = _payload(ticket, ring.kid)
    return base64.b32encode(payload + ring.sign(payload)).decode().rstrip("=")


def code_read(text):
    """The Ticket a code stands for, its signature checked; CodeMalformed or SignatureInvalid."""
    text = text.strip().upper() if isinstance(text, str) else ""
    if len(text) != TEXT_LENGTH or not BASE32.fullmatch(text):
        raise CodeMalformed()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise CodeMalformed() from None
    if len(raw) != LENGTH or raw[0] != VERSION:
        raise CodeMalformed()
    payload, signature = raw[:PAYLOAD], raw[PAYLOAD:]
    kid = int.from_bytes(payload[1:3], "big")
    if not keyring().verify(kid, signature, payload):
        raise SignatureInvalid()
    seat = int.from_bytes(payload[15:17], "big")
    if seat < 1:
        raise CodeMalformed()
    return Ticket(
        event_id=f"{EVENT}-{int.from_bytes(payload[3:9], 'big'):04d}",
        booking_id=f"{BOOKING}-{int.from_bytes(payload[9:15], 'big'):04d}",
        seat=seat,
        ticket_type_id=f"{TICKET_TYPE}-{int.from_bytes(payload[17:23], 'big'):04d}",
        kid=kid,
    )
