"""The rules a booking is checked against, for everything that sells seats: a booking
(services/reserve.py), a hold (services/holds.py, hold_claim.py) and a place in the
waiting line (waitlist/services.py) are refused for the same reasons, in the same words."""

from django.apps import apps

from bookings.errors import EventNotBookable, NotEnoughSeats, OverTypeMaximum, SeatsOwedToWaitlist, TicketTypeNotOnSale
from shared.timeutil import now
from events.errors import EventNotFound, EventStarted
from events.models import EventStatus
from events.ticket_types import type_for_booking

PUBLISHED = EventStatus.PUBLISHED.value

# The conditions of a type a booking is checked against and the reservation's filter
# requires unchanged (the name too: the booking keeps it).
AS_READ = ("id", "name", "price_cents", "sales_start", "sales_end", "max_per_booking")


def not_open(status):
    """The refusal of an event that is not PUBLISHED (cancelled)."""
    return EventNotBookable(f"This event is {status.lower()}, not open for booking.", status=status)


def started():
    """The refusal of an event that has started."""
    return EventStarted("This event has already started.")


def check_on_sale(event, moment=None):
    """Refuse a stored event that is not PUBLISHED, or has started by `moment` (now)."""
    if event["status"] != PUBLISHED:
        raise not_open(event["status"])
    if event["starts_at"] <= (moment or now()):
        raise started()


def check_open(event):
    """Refuse an event nobody may book: missing, a draft (a draft is nobody's business but its
    organizer's, who cannot book: the 404 of an id that does not exist, as GET /events/:id
    answers), not PUBLISHED, or started."""
    if event is None or event["status"] == EventStatus.DRAFT:
        raise EventNotFound()
    check_on_sale(event)


def check_bookable(event, qty, ticket_type_id):
    """The type to book, or the refusal: the event's, then the type's."""
    check_open(event)
    ticket_type = type_for_booking(event=event, ticket_type_id=ticket_type_id)
    check_type(ticket_type, qty)
    left = min(event["seats_available"], ticket_type["seats_available"])
    if left < qty:
        raise NotEnoughSeats(seats_left(event, ticket_type, left), seats_available=left, ticket_type_id=ticket_type["id"])
    if ticket_type.get("waitlist_waiting", 0) > 0:
        raise SeatsOwedToWaitlist(
            "Customers are waiting for these seats: join the waiting list.", ticket_type_id=ticket_type["id"]
        )
    return ticket_type


def seats_left(event, ticket_type, left):
    """The message of not_enough_seats: how many are left, or that the type is sold out,
    with the waiting list as the way on when the project has one."""
    waitlist = apps.is_installed("waitlist")
    if left == 0:
        sold_out = f"{ticket_type['name']} is sold out."
        return f"{sold_out} Join the waiting list: POST /events/{event['_id']}/waitlist." if waitlist else sold_out
    return f"Only {left} seat{'s' if left != 1 else ''} left."


def check_type(ticket_type, qty):
    """The type's own refusals: its sale window now, its maximum per booking."""
    moment = now()
    window = {"sales_start": ticket_type["sales_start"], "sales_end": ticket_type["sales_end"]}
    if window["sales_start"] is not None and moment < window["sales_start"]:
        raise TicketTypeNotOnSale(f"Sales of {ticket_type['name']} have not started.", ticket_type_id=ticket_type["id"], **window)
    if window["sales_end"] is not None and moment >= window["sales_end"]:
        raise TicketTypeNotOnSale(f"Sales of {ticket_type['name']} have ended.", ticket_type_id=ticket_type["id"], **window)
    most = ticket_type["max_per_booking"]
    if most is not None and qty > most:
        raise OverTypeMaximum(f"At most {most} {ticket_type['name']} tickets per booking.", max_per_booking=most)


def type_as_read(ticket_type, qty):
    """The type's conditions in a reservation's filter: seats enough, and the price, sale
    window and maximum the request was checked against, unchanged since, and nobody on its
    waiting list (the seats are theirs then)."""
    seats = {"seats_available": {"$gte": qty}, "waitlist_waiting": {"$not": {"$gt": 0}}}
    return {"$elemMatch": {**{name: ticket_type[name] for name in AS_READ}, **seats}}
