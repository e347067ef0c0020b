from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self):
        # The waiting list hears what bookings sends (bookings/signals.py; receivers in
        # waitlist/receivers.py) and settles its own markers: bookings needs nothing of this app.
        from bookings import signals
        from bookings.services.markers import settler_register
        from waitlist import receivers
        from waitlist.line import ENTRY_MARKER
        from waitlist.protocol import settle_entry_marker

        for signal, receiver in (
            (signals.seats_freed, receivers.offer_freed_seats),
            (signals.hold_ended, receivers.entry_follows_hold),
            (signals.event_closing, receivers.line_closes),
            (signals.reconcile_pass, receivers.line_reconciles),
        ):
            signal.connect(receiver, dispatch_uid=f"waitlist.{receiver.__name__}")
        settler_register(ENTRY_MARKER, settle_entry_marker)
