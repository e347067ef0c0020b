"""What events tells the apps built on it, as Django signals: events imports none of them;
each receiver connects in its own AppConfig.ready (docs/architecture.md, "Signals")."""

from django.dispatch import Signal

SENDER = "events"

# An event was cancelled (the transition is stored). Argument event= (the document as
# cancelled). Bookings cancels the event's bookings (its cascade never raises). The
# receivers may change the event document (its counters): events reads it again after.
event_cancelled = Signal()

# The seats of a PUBLISHED event were edited (its capacity or its ticket types). Argument
# event= (the document as edited). A receiver returns how many of its free seats it gave
# away (offers to the waiting list); when any did, events reads the event again.
event_seats_edited = Signal()
