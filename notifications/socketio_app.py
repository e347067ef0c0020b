"""The Socket.io server (python-socketio, mounted at /socket.io/ by eventbooking.asgi):
the token in the client's `auth: {token, last_id}`, one Listener per connection."""

import asyncio

import socketio

from shared import jsonbody
from notifications.access import Refused, connection_user, last_id_of, origin_allowed
from notifications.listener import GAP, Listener
from notifications.realtime import dispatcher, listener_open, listener_remove


def socketio_server():
    """The Socket.io server: token in the client's `auth: {token}`, one Listener per connection.
    Its manager is the in-memory one: other processes' notifications come through
    notifications.fanout (python-socketio's Redis manager only with REALTIME_FANOUT=socketio)."""
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=dispatcher.socketio_manager(),
        cors_allowed_origins=lambda origin, environ: origin_allowed(origin, environ.get("HTTP_HOST")),
        max_http_buffer_size=64 * 1024,
        # Packets that are not JSON or nest too deep: refused, not a RecursionError.
        json=jsonbody,
        serializer=jsonbody.SocketIOPacket,
    )
    connections = {}  # sid -> Listener

    @sio.event
    async def connect(sid, environ, auth):
        auth = auth if isinstance(auth, dict) else {}
        try:
            last_id = last_id_of(auth.get("last_id"))
            user = await connection_user(auth.get("token"))
        except Refused as refusal:
            raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict()) from None
        await sio.save_session(sid, {"user_id": str(user.pk), "role": user.role})

        async def send(event, message):
            if event == GAP:
                await sio.emit(GAP, message["data"], to=sid, ignore_queue=True)
            else:
                await sio.emit(event, {**message["data"], "notice_id": message["id"]}, to=sid, ignore_queue=True)

        listener = Listener(user.pk, send)
        try:
            start = await listener_open(listener, last_id)
        except Refused as refusal:
            raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict()) from None
        connections[sid] = listener
        # After this handler returns, when the client has been told it is connected.
        listener.task = asyncio.create_task(listener.resume(last_id, start))

    @sio.event
    async def disconnect(sid, reason=None):
        listener = connections.pop(sid, None)
        if listener is not None:
            await listener_remove(listener)

    return sio
