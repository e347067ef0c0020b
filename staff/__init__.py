"""The staff admin: the admin site, its dashboard and charts, and the pages of events
and bookings. It may import every app; apps do not import it, except tickets, which
adds its section to an event's page through staff.sections."""
