"""The project's Django as a WSGI application, for bench_compare's gunicorn variant
(HTTP only: /socket.io and /ws stay with daphne, which receives this process's
notifications over Redis)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventbooking.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
