"""The application daphne serves, outermost first:

    /socket.io/          python-socketio (notifications.socketio_app)
    websocket /ws/notifications/   Channels consumer (notifications.consumers)
    http (everything else)         Django (server.handler)
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventbooking.settings")

import django  # noqa: E402

# Sets Django up: the imports below load models.
django.setup(set_prefix=False)


from shared import testhooks  # noqa: E402
from server.handler import PooledASGIHandler  # noqa: E402

# Django's ASGI handler, with each request's sync work in one hop to a pooled thread.
django_application = PooledASGIHandler()

from server.reasons import complete_reason_phrases  # noqa: E402

complete_reason_phrases()

import socketio  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from notifications.consumers import NotificationConsumer  # noqa: E402
from notifications.realtime import dispatcher  # noqa: E402
from notifications.socketio_app import socketio_server  # noqa: E402

sio = socketio_server()
channels_application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter([re_path(r"^ws/notifications/?$", NotificationConsumer.as_asgi())]),
    }
)
socketio_application = socketio.ASGIApp(sio, other_asgi_app=channels_application, socketio_path="socket.io")


async def application(scope, receive, send):
    # Notifications from this process's request threads are sent on this loop.
    dispatcher.attach(sio)
    await socketio_application(scope, receive, send)


# Unchanged unless the settings name test hooks (tests/settings.py).
application = testhooks.wrap_application(application)
