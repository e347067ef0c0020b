from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self):
        # Bookings hears what events sends (events/signals.py; receivers in bookings/receivers.py):
        # events needs nothing of this app.
        from bookings import receivers
        from events import signals

        signals.event_cancelled.connect(receivers.event_bookings_cancel, dispatch_uid="bookings.event_bookings_cancel")
        signals.event_seats_edited.connect(receivers.edited_seats_freed, dispatch_uid="bookings.edited_seats_freed")
