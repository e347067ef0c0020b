"""Ticket types: the rules for an event's `types` list (embedded in the event document).

An event sells one or more types, each with its own price and seats. The event's
capacity is the sum of its types' capacities, or the organizer's lower overall
quota (`quota`; null when none); a booking takes seats of its type and of the
event in one update (bookings/services/reserve.py), so both limits hold at once.
Invariants, per type and per event: capacity == seats_available + seats_held +
tickets_sold (tickets_sold counts confirmed bookings and those in flight under a
marker; seats_held the seats of live holds, bookings/services/holds.py).

Edits (events.services.event_update) merge by id: an item with an `id` changes
that type (`{"id": ..., "remove": true}` deletes it), one without adds a type, and
a type left out stays as it is. A replacement (PUT /events/:id/types, `replace`)
gives the whole list instead: a type left out is deleted. While the event is a
DRAFT anything may change; once PUBLISHED, a type with sales or holds cannot be
deleted or shrunk below what it sold and holds, and a new price applies to later
bookings only (a booking keeps its unit price).
"""

from django.conf import settings

from shared.ids import TICKET_TYPE, next_public_id
from events.errors import CapacityBelowSold, InvalidTypes, TicketTypeNotFound, TicketTypeRequired, TypeHasSales

DEFAULT_TYPE_NAME = "General admission"
MAX_TYPES = 20


def max_tickets_per_booking():
    """The most tickets one booking may take, whatever its type; a hold and a place in a
    waiting line take at most as many, and a type's own `max_per_booking` may only lower
    it (MAX_TICKETS_PER_BOOKING). Every check of the limit reads it here."""
    return settings.MAX_TICKETS_PER_BOOKING


# Fields an organizer sets; the counters are ours.
EDITABLE = ("name", "price_cents", "capacity", "sales_start", "sales_end", "max_per_booking", "sort_order")


def type_new(*, data, type_id=None):
    """A new type's document from validated input (EDITABLE fields)."""
    return {
        "id": type_id or next_public_id(TICKET_TYPE),
        "name": data.get("name", DEFAULT_TYPE_NAME),
        "price_cents": data.get("price_cents", 0),
        "capacity": data["capacity"],
        "seats_available": data["capacity"],
        "tickets_sold": 0,
        "revenue_cents": 0,
        "seats_held": 0,
        "waitlist_waiting": 0,
        "sales_start": data.get("sales_start"),
        "sales_end": data.get("sales_end"),
        "max_per_booking": data.get("max_per_booking"),
        "sort_order": data.get("sort_order", 0),
    }


def _and_held(held):
    return f" and {held} are held" if held else ""


def types_sorted(types):
    return sorted(types, key=lambda t: (t["sort_order"], t["id"]))


def event_totals(*, types, quota):
    """The event-level fields that follow from its types and quota."""
    total = sum(t["capacity"] for t in types)
    capacity = total if quota is None else min(quota, total)
    sold = sum(t["tickets_sold"] for t in types)
    held = sum(t.get("seats_held", 0) for t in types)
    if sold + held > capacity:
        raise CapacityBelowSold(
            f"{sold} tickets are already sold{_and_held(held)}; capacity cannot be lower.", tickets_sold=sold, seats_held=held
        )
    return {
        "types": types_sorted(types),
        "quota": quota,
        "capacity": capacity,
        "seats_available": capacity - sold - held,
        "seats_held": held,
        "tickets_sold": sold,
        "revenue_cents": sum(t["revenue_cents"] for t in types),
        "price_cents": min(t["price_cents"] for t in types),
    }


def _check_window(item, index):
    start, end = item.get("sales_start"), item.get("sales_end")
    if start is not None and end is not None and end <= start:
        raise InvalidTypes("sales_end", "sales_end must be after sales_start.", index=index)


def _check_removable(old):
    if old["tickets_sold"] + old.get("seats_held", 0) > 0:
        raise TypeHasSales(
            f"{old['name']} has sold {old['tickets_sold']} tickets{_and_held(old.get('seats_held', 0))}; it cannot be deleted.",
            ticket_type_id=old["id"],
        )


def _changed(old, item, published):
    new = {**old, **{key: item[key] for key in EDITABLE if key in item}}
    held = old.get("seats_held", 0)
    if published and new["capacity"] < old["tickets_sold"] + held:
        raise CapacityBelowSold(
            f"{old['tickets_sold']} tickets of {old['name']} are sold{_and_held(held)}; its capacity cannot be lower.",
            tickets_sold=old["tickets_sold"],
            seats_held=held,
            ticket_type_id=old["id"],
        )
    new["seats_available"] = new["capacity"] - new["tickets_sold"] - held
    return new


def types_merge(*, current, given, published, replace=False):
    """The event's new types from the list `given` (validated TicketTypeInput items).

    Merge (the default): a type named by `id` is changed (or deleted with `remove`), an
    item without `id` adds a type, and the types not named stay. `replace`: `given` is
    the whole list, and a type left out is deleted."""
    if not given:
        raise InvalidTypes("types", "An event sells at least one ticket type.")
    by_id = {t["id"]: t for t in current}
    ids = [item["id"] for item in given if "id" in item]
    if len(ids) != len(set(ids)):
        raise InvalidTypes("types", "A ticket type is listed twice.")
    changed, added, removed = {}, [], set()
    for n, item in enumerate(given):
        if item.get("remove"):
            if replace:
                raise InvalidTypes("remove", "A replacement lists the types to keep: leave a type out to delete it.", index=n)
            if "id" not in item:
                raise InvalidTypes("id", "Name the ticket type to remove.", index=n)
            if set(item) - {"id", "remove"}:
                raise InvalidTypes("remove", "A type being removed takes no other fields.", index=n)
        if "id" in item:
            if item["id"] not in by_id:
                raise InvalidTypes("id", f"This event has no ticket type {item['id']}.", index=n)
            if item.get("remove"):
                removed.add(item["id"])
                continue
            new = _changed(by_id[item["id"]], item, published)
            changed[new["id"]] = new
        else:
            if "capacity" not in item:
                raise InvalidTypes("capacity", "A new ticket type needs a capacity.", index=n)
            if "name" not in item:
                raise InvalidTypes("name", "A new ticket type needs a name.", index=n)
            new = type_new(data=item)
            added.append(new)
        _check_window(new, n)
    if replace:
        removed = set(by_id) - set(changed)
    for type_id in sorted(removed):
        _check_removable(by_id[type_id])
    merged = [changed.get(t["id"], t) for t in current if t["id"] not in removed] + added
    if not merged:
        raise InvalidTypes("types", "An event sells at least one ticket type: remove all but one, or replace the list.")
    if len(merged) > MAX_TYPES:
        raise InvalidTypes("types", f"At most {MAX_TYPES} ticket types.")
    return merged


def _types_given(*, data, current, published, replace=False):
    """The types of a body that lists them: then prices are set per type, not as `price`."""
    if "price_cents" in data:
        raise InvalidTypes("price", "Set each ticket type's price in `types`.")
    return types_merge(current=current, given=data["types"], published=published, replace=replace)


def types_edit(*, doc, data, replace=False):
    """The event-level changes (event_totals) an edit's `types`, `capacity` and `price`
    make, or {} when it touches none. `types` merges by id, or with `replace` is the
    whole new list (types_merge). `price` and `capacity` without `types` keep the
    one-price API working: on an event with one type they edit that type (`capacity`
    the quota instead, if it has one); with several types `capacity` is the overall
    quota and `price` is refused."""
    if not {"types", "capacity", "price_cents"} & set(data):
        return {}
    current, quota = doc["types"], doc.get("quota")
    published = doc["status"] == "PUBLISHED"
    if "types" in data:
        types = _types_given(data=data, current=current, published=published, replace=replace)
        if "capacity" in data:
            quota = data["capacity"]
    elif len(current) == 1:
        item = {"id": current[0]["id"]}
        if "price_cents" in data:
            item["price_cents"] = data["price_cents"]
        if "capacity" in data and quota is None:
            item["capacity"] = data["capacity"]
        elif "capacity" in data:
            quota = data["capacity"]
        types = types_merge(current=current, given=[item], published=published)
    else:
        if "price_cents" in data:
            raise InvalidTypes("price", "This event has several ticket types: set each type's price in `types`.")
        types, quota = current, data["capacity"]
    return event_totals(types=types, quota=quota)


def types_create(*, data):
    """The event-level fields of a new event: its `types`, or one default type from
    `price` and `capacity` (the one-price API)."""
    if "types" in data:
        types = _types_given(data=data, current=[], published=False)
        return event_totals(types=types, quota=data.get("capacity"))
    if data.get("capacity") is None:
        raise InvalidTypes("capacity", "Give a capacity, or ticket types.")
    default = type_new(data={"capacity": data["capacity"], "price_cents": data.get("price_cents", 0)})
    return event_totals(types=[default], quota=None)


def type_for_booking(*, event, ticket_type_id):
    """The type a booking takes: the one named, or the only one."""
    types = event.get("types") or []
    if ticket_type_id is None:
        if len(types) != 1:
            raise TicketTypeRequired()
        return types[0]
    for ticket_type in types:
        if ticket_type["id"] == ticket_type_id:
            return ticket_type
    raise TicketTypeNotFound()
