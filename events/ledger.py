"""The seat ledger: every move of seats between on sale, held and sold, and of a type's
line count, written once. Callers name a move; none writes a counter name or a sign.

The invariant, per event and per ticket type, at rest and after every single update:

    capacity == seats_available + seats_held + tickets_sold

where tickets_sold (and revenue_cents) are the sums over the CONFIRMED bookings and
seats_held the seats of the live holds. Every move below keeps it: each takes from one
counter exactly what it gives to another, on the event and on the type in the same
update. `waitlist_waiting` (per type) counts the WAITING entries of the type's line;
while it is above 0 the type's seats on sale are the line's.

A move is (update, array_filters): an update document with `$inc` on the event's
counters and on `types.$[t]`'s, and the arrayFilters naming the type (`t.id`); an
arrayFilter, not a positional `$` (tests/localserver/test_array_updates.py says why).
`with_(move, update)` adds the caller's `$push`/`$pull`/`$set` to it.
"""

from typing import NamedTuple


class Move(NamedTuple):
    update: dict
    array_filters: list


def _move(type_id, **fields):
    changes = {**fields, **{f"types.$[t].{name}": value for name, value in fields.items()}}
    return Move({"$inc": changes}, [{"t.id": type_id}])


def take(*, type_id, qty, amount_cents):
    """A booking reserves seats: on sale -> sold (with its revenue)."""
    return _move(type_id, seats_available=-qty, tickets_sold=qty, revenue_cents=amount_cents)


def give_back(*, type_id, qty, amount_cents):
    """A booking's seats return (rolled back or cancelled): sold -> on sale."""
    return _move(type_id, seats_available=qty, tickets_sold=-qty, revenue_cents=-amount_cents)


def hold(*, type_id, qty):
    """A hold (or a waiting-list offer's hold) takes seats off sale: on sale -> held."""
    return _move(type_id, seats_available=-qty, seats_held=qty)


def release(*, type_id, qty):
    """A hold released, expired or declined: held -> on sale."""
    return _move(type_id, seats_available=qty, seats_held=-qty)


def claim(*, type_id, qty, amount_cents):
    """A booking made from a hold: held -> sold (with its revenue)."""
    return _move(type_id, seats_held=-qty, tickets_sold=qty, revenue_cents=amount_cents)


def queue(*, type_id):
    """One more WAITING entry in the type's line (no seat moves)."""
    return Move({"$inc": {"types.$[t].waitlist_waiting": 1}}, [{"t.id": type_id}])


def dequeue(*, type_id):
    """One WAITING entry fewer (it left, was offered seats, or was closed)."""
    return Move({"$inc": {"types.$[t].waitlist_waiting": -1}}, [{"t.id": type_id}])


def offer(*, type_id, qty):
    """A waiting entry is offered seats: on sale -> held, and it stops WAITING."""
    held, out = hold(type_id=type_id, qty=qty), dequeue(type_id=type_id)
    return Move({"$inc": {**held.update["$inc"], **out.update["$inc"]}}, held.array_filters)


def nothing():
    """No counter moves (a marker pushed or pulled alone)."""
    return Move({}, None)


def with_(move, update=None, *, array_filters=()):
    """The move's update plus the caller's operators (`$push`, `$pull`, `$set`, more `$inc`),
    and its arrayFilters plus the caller's. Returns (update, array_filters)."""
    merged = {key: dict(value) for key, value in move.update.items()}
    for operator, fields in (update or {}).items():
        merged[operator] = {**merged.get(operator, {}), **fields}
    filters = [*(move.array_filters or []), *array_filters]
    return merged, filters or None
