from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self):
        # Seats coming back on sale anywhere in bookings go to the waiting line first, the
        # reconciler runs the line's pass and settles its markers, a cancelled event's cascade
        # closes its line: bookings needs nothing of this app.
        from bookings.services.cascade import line_closers
        from bookings.services.holds import hold_end_listeners, seat_listeners
        from bookings.services.markers import settlers
        from bookings.services.reconcile import extra_passes
        from waitlist.line import ENTRY_MARKER, entry_follow, line_close
        from waitlist.offers import seats_freed, waitlist_reconcile
        from waitlist.protocol import settle_entry_marker

        for hooks, hook in ((seat_listeners, seats_freed), (extra_passes, waitlist_reconcile), (line_closers, line_close),
                            (hold_end_listeners, entry_follow)):
            if hook not in hooks:
                hooks.append(hook)
        settlers[ENTRY_MARKER] = settle_entry_marker
