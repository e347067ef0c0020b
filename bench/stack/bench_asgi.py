"""ASGI applications for bench_compare's server variants: the project's routing
(eventbooking.asgi: Socket.io -> Channels -> HTTP) with another HTTP handler.

    stock    Django's own ASGIHandler (what get_asgi_application() returns); run it with
             BENCH_ASYNC_MIDDLEWARE=1 so that the project's middleware is async capable
"""

import socketio
from channels.routing import ProtocolTypeRouter
from django.core.handlers.asgi import ASGIHandler

from eventbooking import asgi as project
from notifications.realtime import dispatcher


def with_http(http):
    router = ProtocolTypeRouter({"http": http, "websocket": project.channels_application.application_mapping["websocket"]})
    app = socketio.ASGIApp(project.sio, other_asgi_app=router, socketio_path="socket.io")

    async def application(scope, receive, send):
        dispatcher.attach(project.sio)
        await app(scope, receive, send)

    return application


stock = with_http(ASGIHandler())
