"""The plain WebSocket endpoint, /ws/notifications/, for clients without Socket.io.

The token comes in the query string (?token=...) or as the first message
{"type": "auth", "token": "..."} within AUTH_SECONDS; a client that reconnects adds
the id of the last notice it saw (`last_id`, in either). The server answers
{"type": "ready", "data": {"user_id", "role"}} once the connection listens, then
(resuming) {"type": "notices.gap", "data": {...}} if notices after last_id expired,
the kept notices after last_id, and then each notification as it comes, all as
{"type": "booking.created", "id": 17, "created_at": "...", "data": {...}}.
A refusal is one message {"type": "error", "data": {"code", "message"}}, then
the close code: 4401 (token_missing, token_invalid, token_expired), 4403
(user_inactive, origin_not_allowed), 4400 (bad_message: not a JSON auth message;
bad_last_id), 1011 (server_error: the token could not be checked).
The connection is accepted before it is refused because browsers show the
close code of an accepted socket but not the status of a refused handshake.
"""

import asyncio
import json
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer

from shared import jsonbody
from notifications.access import CLOSE_BAD_MESSAGE, CLOSE_FORBIDDEN, Refused, connection_user, last_id_of, origin_allowed
from notifications.listener import Listener
from notifications.realtime import listener_open, listener_remove

AUTH_SECONDS = 10


class NotificationConsumer(AsyncWebsocketConsumer):
    user_id = None
    listener = None
    auth_timer = None
    refused = False

    async def connect(self):
        await self.accept()
        headers = dict(self.scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if not origin_allowed(origin, headers.get(b"host", b"").decode("latin-1")):
            await self.refuse(Refused("origin_not_allowed", "This origin may not connect.", CLOSE_FORBIDDEN))
            return
        query = parse_qs(self.scope["query_string"].decode("latin-1"))
        token = query.get("token", [None])[0]
        if token:
            await self.authenticate(token, query.get("last_id", [None])[0])
        else:
            self.auth_timer = asyncio.create_task(self.expire())

    async def expire(self):
        await asyncio.sleep(AUTH_SECONDS)
        await self.refuse(Refused("token_missing", f"No auth message within {AUTH_SECONDS} seconds."))

    async def receive(self, text_data=None, bytes_data=None):
        if self.user_id or self.refused:
            return  # listeners have nothing to say once authenticated
        try:
            message = jsonbody.loads(text_data or bytes_data or b"")
        except ValueError:
            message = None
        if not isinstance(message, dict) or message.get("type") != "auth":
            await self.refuse(Refused("bad_message", 'Send {"type": "auth", "token": "..."} first.', CLOSE_BAD_MESSAGE))
            return
        await self.authenticate(message.get("token"), message.get("last_id"))

    async def authenticate(self, token, last_id=None):
        self.stop_timer()
        try:
            last_id = last_id_of(last_id)
            user = await connection_user(token)
        except Refused as refusal:
            await self.refuse(refusal)
            return
        # This process sends to it from memory; other processes' notifications come
        # through Redis once listener_add returns (notifications.fanout), never failing here.
        listener = Listener(str(user.pk), self.send_notice)
        try:
            start = await listener_open(listener, last_id)
        except Refused as refusal:
            await self.refuse(refusal)
            return
        self.user_id, self.listener = str(user.pk), listener
        await self.send_message("ready", {"user_id": str(user.pk), "role": user.role})
        await listener.resume(last_id, start)

    async def refuse(self, refusal):
        self.stop_timer()
        self.refused = True
        await self.send_message("error", refusal.as_dict())
        await self.close(code=refusal.close_code)

    async def disconnect(self, code):
        self.stop_timer()
        if self.listener is not None:
            await listener_remove(self.listener)

    def stop_timer(self):
        if self.auth_timer and self.auth_timer is not asyncio.current_task():
            self.auth_timer.cancel()

    async def send_notice(self, event, message):
        await self.send(text_data=json.dumps(message))

    async def send_message(self, kind, data):
        await self.send(text_data=json.dumps({"type": kind, "data": data}))
