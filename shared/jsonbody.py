"""JSON with a bound on nesting, for every body a client sends (HTTP and real time).

Python's json parser recurses once per level: a body of a thousand `[` is a
RecursionError (a 500 and a traceback) before any serializer sees it. The depth
is checked first, by a loop, so no nesting a client sends can reach the parser's
recursion.
"""

import io
import json
import re
import sys

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from socketio import packet as socketio_packet

# A string literal (escapes included), or one bracket.
TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    pass


def check_depth(text, limit):
    """Raise TooDeep when arrays and objects nest deeper than `limit`."""
    depth = 0
    for match in TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            if depth > limit:
                raise TooDeep(f"JSON nested deeper than {limit} levels.")
        elif char in "]}":
            depth -= 1


def loads(text):
    """json.loads that refuses deep nesting with a ValueError."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    check_depth(text, settings.MAX_JSON_DEPTH)
    return json.loads(text)


def dumps(obj, **kwargs):
    return json.dumps(obj, **kwargs)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser behind the depth check: a 400 parse_error, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read()
        try:
            check_depth(raw.decode(encoding), settings.MAX_JSON_DEPTH)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
        return super().parse(io.BytesIO(raw), media_type, parser_context)


class SocketIOPacket(socketio_packet.Packet):
    """Socket.io packets read with `loads`. A packet that cannot be read (not JSON,
    nested too deep) ends the sender's session on its namespace, as if it had left,
    instead of a traceback in python-socketio's handler."""

    json = sys.modules[__name__]

    def decode(self, encoded_packet):
        try:
            return super().decode(encoded_packet)
        except ValueError:
            self.packet_type, self.namespace, self.id, self.data = socketio_packet.DISCONNECT, "/", None, None
            return 0
