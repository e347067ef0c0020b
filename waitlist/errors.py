"""The waiting list's domain errors: one class per error code (shared/errors.py
turns them into the one error shape)."""

from shared.errors import Conflict, NotFound


class SeatsAvailable(Conflict):
    code = "seats_available"


class AlreadyInLine(Conflict):
    code = "already_in_waitlist"


class EntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    message = "No such waiting-list entry."


class EntryBusy(Conflict):
    code = "waitlist_entry_busy"
    message = "This entry kept changing; try again."
