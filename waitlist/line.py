"""The waiting list as stored: entries in the event document's `waitlist` array, in
line order (the order of the updates that pushed them), and the seat moves between
`seats_available` and `seats_held` that an offer's hold makes (the hold shape is
bookings/services/holds.py's, with `entry` naming the offered entry).

Entry: {id: "WL-0001", customer_id, type, qty, at, state, hold, offered_at, notified}.
States: WAITING (in line) -> OFFERED (a hold of its qty is kept for it) -> BOOKED (the
hold was claimed) or EXPIRED (the hold expired or was given back); an event's cancellation
sets the entries still in line CLOSED (bookings/services/cascade.py). Leaving pulls the
entry. Only WAITING and OFFERED entries are in line; each type's `waitlist_waiting`
counts its WAITING ones, so a filter can say "nobody waits for this type".
"""


from events.models import WaitlistState

WAITING, OFFERED, BOOKED, EXPIRED, CLOSED = (state.value for state in WaitlistState)
IN_LINE = [WAITING, OFFERED]

# What the line's logic reads of an event: never the seat markers.
LINE_VIEW = {
    "title": 1, "organizer_id": 1, "status": 1, "starts_at": 1, "seats_available": 1,
    "types": 1, "waitlist": 1, "holds": 1,
}


def hold_seats(qty, sign):
    """Counter changes moving `qty` seats into a hold (sign +1) or back on sale (sign -1),
    of the event and of the type `types.$[t]` (the caller's arrayFilters name it)."""
    fields = {"seats_available": -sign * qty, "seats_held": sign * qty}
    return {**fields, **{f"types.$[t].{name}": value for name, value in fields.items()}}


def position(event, entry):
    """1 for the first WAITING entry of its type, 2 for the next...; None once offered or closed."""
    if entry["state"] != WAITING:
        return None
    ahead = 0
    for other in event.get("waitlist") or []:
        if other["id"] == entry["id"]:
            return ahead + 1
        if other["state"] == WAITING and other["type"] == entry["type"]:
            ahead += 1
    return None


def hold_of(event, entry):
    """The hold an OFFERED entry was given, or None."""
    if entry.get("hold") is None:
        return None
    return next((hold for hold in event.get("holds") or [] if hold["id"] == entry["hold"]), None)
