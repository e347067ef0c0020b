"""The events app's domain errors: one class per error code, raised wherever the code is
answered (shared/errors.py turns them into the one error shape)."""

from shared.errors import Conflict, DomainError, NotFound


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "No such event."


class InvalidTransition(Conflict):
    code = "invalid_transition"


class EventIncomplete(InvalidTransition):
    code = "event_incomplete"


class EventCancelled(Conflict):
    code = "event_cancelled"
    message = "A cancelled event cannot be changed."


class EventStarted(Conflict):
    code = "event_started"
    message = "The event has started: it can no longer be edited, only cancelled."


class EventBusy(Conflict):
    """Writers kept changing the event's seats while a request retried: retry shortly."""

    code = "event_busy"
    message = "The event kept changing; try again."


class StartInPast(DomainError):
    code = "starts_in_past"
    message = "A published event cannot start in the past."
    field = "starts_at"


class PublishStartInPast(StartInPast):
    """starts_in_past as a refused transition (publishing): 409, no field."""

    status_code = 409
    field = None
    message = "The event must start in the future to be published."


class EventNotDraft(Conflict):
    code = "event_not_draft"


class TypeHasSales(Conflict):
    code = "ticket_type_has_sales"


class CapacityBelowSold(Conflict):
    code = "capacity_below_sold"


class TicketTypeNotFound(NotFound):
    code = "ticket_type_not_found"
    message = "This event has no such ticket type."


class TicketTypeRequired(DomainError):
    code = "ticket_type_required"
    message = "This event sells several ticket types: give ticketTypeId."
    field = "ticketTypeId"


class InvalidTypes(DomainError):
    """A 400 naming the field as every validation error does: a field of the list's item
    `index` is keyed {"types": {"<index>": {"<field>": [message]}}} (as DRF keys a list's
    items); without an index, {"<field>": [message]}."""

    code = "validation_error"

    def __init__(self, field, message, *, index=None):
        if index is None:
            super().__init__(message, field=field)
        else:
            super().__init__(f"types.{index}.{field}: {message}", fields={"types": {str(index): {field: [message]}}})
