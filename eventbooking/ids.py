"""Public ids: `EVT-0001` for events, `BK-0001` for bookings, `TT-0001` for ticket types,
`HLD-0001` for seat holds, `WL-0001` for waiting-list entries.

A prefix, a dash and the number from an atomic counter (eventbooking.mongo.next_sequence),
zero-padded to four digits at least; they never repeat, across restarts and processes.
One pattern per prefix, used by every check of an id that comes in: 4 to 12 digits
(a trillion ids; a longer one cannot exist, so it is refused without a lookup).

Booking numbers are taken from the counter in blocks of BOOKING_ID_BLOCK per process
(one round trip per block, not per booking). What holds: unique across processes and
restarts; within one process, handed out in increasing order. What does not: numbers
are not dense (a process that stops leaves the rest of its block unused, and a
refused booking may have used one) and not in time order across processes (two
processes book from two blocks at once). With BOOKING_ID_BLOCK=1, one at a time as
before. Events and ticket types take one number at a time.
"""

import re
import threading

from django.conf import settings

from eventbooking.mongo import next_sequence

EVENT = "EVT"
BOOKING = "BK"
TICKET_TYPE = "TT"
HOLD = "HLD"
WEBHOOK = "WH"
WAITLIST = "WL"
DIGITS = r"\d{4,12}"
EVENT_ID = re.compile(rf"{EVENT}-{DIGITS}")
BOOKING_ID = re.compile(rf"{BOOKING}-{DIGITS}")
TICKET_TYPE_ID = re.compile(rf"{TICKET_TYPE}-{DIGITS}")
WAITLIST_ID = re.compile(rf"{WAITLIST}-{DIGITS}")
HOLD_ID = re.compile(rf"{HOLD}-{DIGITS}")
WEBHOOK_ID = re.compile(rf"{WEBHOOK}-{DIGITS}")
MAX_LENGTH = 20  # the models' primary key columns


class _Block:
    """The numbers this process holds of one counter: next, up to end (exclusive)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.next = self.end = 0

    def take(self, name, size):
        with self.lock:
            if self.next >= self.end:
                self.next = next_sequence(name, size)
                self.end = self.next + size
            number, self.next = self.next, self.next + 1
            return number

    def forget(self):
        with self.lock:
            self.next = self.end = 0


_blocks = {BOOKING: _Block()}


def next_public_id(prefix):
    size = settings.BOOKING_ID_BLOCK if prefix in _blocks else 1
    number = _blocks[prefix].take(prefix, size) if size > 1 else next_sequence(prefix)
    return f"{prefix}-{number:04d}"


def blocks_forget():
    """Drop the numbers this process holds: only for tests, which reset the counters
    between tests (a process must not keep numbers from before a reset)."""
    for block in _blocks.values():
        block.forget()


def is_event_id(value):
    return isinstance(value, str) and EVENT_ID.fullmatch(value) is not None
