from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "waitlist"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self):
        # Seats coming back on sale anywhere in bookings go to the waiting line first, and
        # the reconciler runs the line's pass: bookings needs nothing of this app.
        from bookings.services.holds import seat_listeners
        from bookings.services.reconcile import extra_passes
        from waitlist.offers import seats_freed, waitlist_reconcile

        for hooks, hook in ((seat_listeners, seats_freed), (extra_passes, waitlist_reconcile)):
            if hook not in hooks:
                hooks.append(hook)
