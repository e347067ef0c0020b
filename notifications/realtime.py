"""Real-time plumbing shared by both transports: who may connect, where each
user listens, the Socket.io server, and the dispatcher that sends notifications.

What is sent, and to whom, lives in notifications.services.

Each process keeps its own listeners in memory: Socket.io connections in the room
`user:<id>` of python-socketio's in-memory manager, WebSocket consumers in
`local_listeners`, and both counted per user. A notification is delivered from
memory to this process's listeners of each recipient (scheduled on daphne's loop,
only when there are some), and, with REALTIME_REDIS_URL (default REDIS_URL),
published to each recipient's Redis channel for the other processes
(notifications/fanout.py), which subscribe only to the users listening to them.
Without Redis: in memory, one process.
"""

import asyncio
import logging
import threading
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import socketio
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts.authentication import CheckedAccessToken, TokenAuthentication
from eventbooking import jsonbody
from notifications.fanout import Fanout

log = logging.getLogger(__name__)

# WebSocket close codes (4000-4999 are the application's). Socket.io clients get
# the same `code` strings in connect_error's data.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_SERVER_ERROR = 1011
MAX_TOKEN_LENGTH = 4096


class Refused(Exception):
    """A connection that may not listen; `code` is stable, `message` is for people."""

    def __init__(self, code, message, close_code=CLOSE_UNAUTHORIZED):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code

    def as_dict(self):
        return {"code": self.code, "message": self.message}


# user id (str) -> this process's authenticated WebSocket consumers of that user.
local_listeners = defaultdict(set)
# user id (str) -> how many of this process's Socket.io connections are that user's.
socketio_listeners = Counter()


def listening_here(user_id):
    return user_id in local_listeners or user_id in socketio_listeners


async def listener_add(user_id, consumer=None):
    """One more listener of `user_id` here: a WebSocket `consumer`, or a Socket.io
    connection (None). Returns once it also hears what other processes send."""
    user_id = str(user_id)
    if consumer is None:
        socketio_listeners[user_id] += 1
    else:
        local_listeners[user_id].add(consumer)
    fanout = dispatcher.fanout
    if fanout is not None:
        await fanout.listen(user_id)


async def listener_remove(user_id, consumer=None):
    user_id = str(user_id)
    if consumer is None:
        socketio_listeners[user_id] -= 1
        if socketio_listeners[user_id] <= 0:
            del socketio_listeners[user_id]
    else:
        consumers = local_listeners.get(user_id)
        if consumers is None or consumer not in consumers:
            return
        consumers.discard(consumer)
        if not consumers:
            del local_listeners[user_id]
    fanout = dispatcher.fanout
    if fanout is not None:
        await fanout.unlisten(user_id)


def user_room(user_id):
    return f"user:{user_id}"


def realtime_authenticate(token):
    """The active user a JWT access token (from POST /login) belongs to, or Refused."""
    if not token:
        raise Refused("token_missing", "Send a JWT access token (from POST /login) to connect.")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise Refused("token_invalid", "The token is not a valid access token.")
    try:
        validated = CheckedAccessToken(token)
    except ExpiredTokenError:
        raise Refused("token_expired", "The access token has expired: refresh it and connect again.") from None
    except TokenError:
        raise Refused("token_invalid", "The token is not a valid access token.") from None
    try:
        return TokenAuthentication().get_user(validated)
    except AuthenticationFailed as exc:
        # simplejwt puts its code in a detail dict: {"detail": ..., "code": "user_inactive"}
        if isinstance(exc.detail, dict) and exc.detail.get("code") == "user_inactive":
            raise Refused("user_inactive", "This account is disabled.", CLOSE_FORBIDDEN) from None
        raise Refused("token_invalid", "The token's user does not exist.") from None


async def connection_user(token):
    """realtime_authenticate for a connection being opened; anything unexpected
    (the database down) refuses it too, with a code that says to retry."""
    try:
        return await database_sync_to_async(realtime_authenticate)(token)
    except Refused:
        raise
    except Exception:
        log.exception("could not check a real-time connection's token")
        raise Refused("server_error", "The token could not be checked; try again shortly.", CLOSE_SERVER_ERROR) from None


def origin_allowed(origin, host):
    """Browsers send Origin: allow the API's own origin and CORS_ALLOWED_ORIGINS.

    No Origin (non-browser clients) is allowed: the token, not a cookie,
    authenticates, so another site's page cannot listen as our user anyway."""
    if not origin or settings.CORS_ALLOW_ALL_ORIGINS or origin in settings.CORS_ALLOWED_ORIGINS:
        return True
    return urlsplit(origin).netloc == host


def socketio_server():
    """The Socket.io server: token in the client's `auth: {token}`, one room per user.
    Its manager is the in-memory one: other processes' notifications come through
    notifications.fanout, not through python-socketio's Redis manager."""
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins=lambda origin, environ: origin_allowed(origin, environ.get("HTTP_HOST")),
        max_http_buffer_size=64 * 1024,
        # Packets that are not JSON or nest too deep: refused, not a RecursionError.
        json=jsonbody,
        serializer=jsonbody.SocketIOPacket,
    )
    users = {}  # sid -> user id, of the connections counted in socketio_listeners

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user = await connection_user(token)
        except Refused as refusal:
            raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict()) from None
        await sio.save_session(sid, {"user_id": str(user.pk), "role": user.role})
        await sio.enter_room(sid, user_room(user.pk))
        users[sid] = str(user.pk)
        await listener_add(user.pk)

    @sio.event
    async def disconnect(sid, reason=None):
        user_id = users.pop(sid, None)
        if user_id is not None:
            await listener_remove(user_id)

    return sio


class Dispatcher:
    """Sends notifications; `send` returns without waiting for any listener.

    In a server process, this process's listeners of a recipient are sent to on
    daphne's loop (attached on the first request), and only when there are some.
    With REALTIME_REDIS_URL, every process (servers, management commands, tests)
    also publishes each recipient's copy for the other server processes: one PUBLISH
    per recipient in the caller's thread, pipelined, bounded by REDIS_TIMEOUT_MS and
    skipped while the process leaves Redis alone (eventbooking.redisguard); a copy
    that could not be published is logged. At most `limit` local deliveries wait at
    once (more are dropped and logged), each is given `timeout` seconds, and a failed
    delivery is logged, never raised. Scheduling errors are raised to the caller
    (notifications.services.notify)."""

    def __init__(self, limit=10_000, timeout=10):
        self.limit = limit
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._loop = None
        self._emit = None
        self._fanout = None

    def attach(self, sio):
        """Called by every request to the server (eventbooking.asgi); acts once."""
        if self._loop is None:
            self._emit = sio.emit
            self._loop = asyncio.get_running_loop()

    @property
    def fanout(self):
        """The Redis fan-out of REALTIME_REDIS_URL, or None without it."""
        url = settings.REALTIME_REDIS_URL
        if not url:
            return None
        fanout = self._fanout
        if fanout is None or fanout.url != url:
            with self._lock:
                if self._fanout is None or self._fanout.url != url:
                    self._fanout = Fanout(url, self._deliver_here)
                fanout = self._fanout
        return fanout

    def send(self, event, user_ids, data):
        """Deliver `event` with `data` to each user in `user_ids`, on both transports."""
        recipients = sorted({str(user_id) for user_id in user_ids})
        if not recipients:
            return
        data = dict(data)
        fanout = self.fanout
        if fanout is not None and not fanout.publish(event, recipients, data):
            who = f"user {recipients[0]}" if len(recipients) == 1 else f"users {', '.join(recipients)}"
            log.error("notification %s to %s failed: not published to the other processes (Redis unavailable)", event, who)
        here = [user_id for user_id in recipients if listening_here(user_id)]
        if not here or self._loop is None:
            return
        if not self._slots.acquire(blocking=False):
            log.warning("notification %s dropped: %s sends already waiting", event, self.limit)
            return
        try:
            asyncio.run_coroutine_threadsafe(self._deliver(event, here, data), self._loop)
        except BaseException:
            self._slots.release()
            raise

    async def _deliver(self, event, user_ids, data):
        try:
            for user_id in user_ids:
                await self._deliver_here(user_id, event, data)
        finally:
            self._slots.release()

    async def _deliver_here(self, user_id, event, data):
        """To this process's listeners of `user_id`, on both transports."""
        sends = [consumer.realtime_notify(event, data) for consumer in list(local_listeners.get(user_id, ()))]
        if user_id in socketio_listeners and self._emit is not None:
            sends.append(self._emit(event, data, room=user_room(user_id)))
        if not sends:
            return
        try:
            results = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), self.timeout)
        except Exception as exc:  # noqa: BLE001 - a notification never takes anything down
            results = [exc]
        for result in results:
            if isinstance(result, BaseException):
                log.error("notification %s to user %s failed: %r", event, user_id, result)


dispatcher = Dispatcher()
