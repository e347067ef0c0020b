"""Found by the admin's autodiscovery: registers the event and booking admins."""

from staff import booking_admin, event_admin  # noqa: F401  (each registers its ModelAdmin)
