"""Public ids: `EVT-0001` for events, `BK-0001` for bookings, `TT-0001` for ticket types,
`HLD-0001` for seat holds, `WL-0001` for waiting-list entries.

A prefix, a dash and the number from an atomic counter (eventbooking.mongo.next_sequence),
zero-padded to four digits at least; they never repeat, across restarts and processes.
One pattern per prefix, used by every check of an id that comes in: 4 to 12 digits
(a trillion ids; a longer one cannot exist, so it is refused without a lookup).
"""

import re

from eventbooking.mongo import next_sequence

EVENT = "EVT"
BOOKING = "BK"
TICKET_TYPE = "TT"
HOLD = "HLD"
WAITLIST = "WL"
DIGITS = r"\d{4,12}"
EVENT_ID = re.compile(rf"{EVENT}-{DIGITS}")
BOOKING_ID = re.compile(rf"{BOOKING}-{DIGITS}")
TICKET_TYPE_ID = re.compile(rf"{TICKET_TYPE}-{DIGITS}")
WAITLIST_ID = re.compile(rf"{WAITLIST}-{DIGITS}")
HOLD_ID = re.compile(rf"{HOLD}-{DIGITS}")
MAX_LENGTH = 20  # the models' primary key columns


def next_public_id(prefix):
    return f"{prefix}-{next_sequence(prefix):04d}"


def is_event_id(value):
    return isinstance(value, str) and EVENT_ID.fullmatch(value) is not None
