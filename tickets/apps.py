from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"

    def ready(self):
        # A malformed key stops the process at start-up, not at the first ticket shown.
        from tickets.keys import keyring

        keyring()
