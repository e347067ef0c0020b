from tests.bookings.conftest import make_event  # noqa: F401  (events are made the same way)
