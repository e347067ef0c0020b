"""Real-time plumbing shared by both transports: who may connect, where each
user listens, the Socket.io server, and the dispatcher that runs every send on
an event loop so the thread that booked never waits for it.

What is sent, and to whom, lives in notifications.services.

Rooms: Socket.io room `user:<id>`, Channels group `user.<id>` (groups allow no
colon). With REALTIME_REDIS_URL (default REDIS_URL) both fan out through Redis:
python-socketio publishes on the Redis channel "socketio", channels-redis keeps
group membership and per-connection queues. Without it, in-memory in one process.
Either way a notification reaches the listeners of the process that sends it
without Redis: Socket.io emits to its own clients before publishing, and
WebSocket connections register here (`local_listeners`) and are sent to directly;
Redis only carries it to the other processes (notifications/layers.py).
"""

import asyncio
import logging
import threading
from collections import defaultdict
from urllib.parse import urlsplit

import socketio
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts.authentication import CheckedAccessToken, TokenAuthentication
from eventbooking import jsonbody
from notifications.layers import ResilientRedisManager

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


def listener_add(user_id, consumer):
    local_listeners[str(user_id)].add(consumer)


def listener_remove(user_id, consumer):
    consumers = local_listeners.get(str(user_id))
    if consumers is not None:
        consumers.discard(consumer)
        if not consumers:
            del local_listeners[str(user_id)]


def user_room(user_id):
    return f"user:{user_id}"


def user_group(user_id):
    return f"user.{user_id}"


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
    """The Socket.io server: token in the client's `auth: {token}`, one room per user."""
    manager = None
    if settings.REALTIME_REDIS_URL:
        manager = ResilientRedisManager(settings.REALTIME_REDIS_URL)
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=manager,
        cors_allowed_origins=lambda origin, environ: origin_allowed(origin, environ.get("HTTP_HOST")),
        max_http_buffer_size=64 * 1024,
        # Packets that are not JSON or nest too deep: refused, not a RecursionError.
        json=jsonbody,
        serializer=jsonbody.SocketIOPacket,
    )

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user = await connection_user(token)
        except Refused as refusal:
            raise socketio.exceptions.ConnectionRefusedError(refusal.message, refusal.as_dict()) from None
        await sio.save_session(sid, {"user_id": str(user.pk), "role": user.role})
        await sio.enter_room(sid, user_room(user.pk))

    return sio


class Dispatcher:
    """Hands notifications to an event loop and returns at once.

    In a server process that loop is daphne's (attached on the first request)
    and sends go through its Socket.io server. Elsewhere (tests, management
    commands) with Redis configured, a thread of our own publishes to Redis for
    the servers to deliver; without Redis nobody could hear, so nothing is sent.
    At most `limit` sends wait at once (more are dropped and logged), each is
    given `timeout` seconds, and a failed delivery is logged, never raised.
    Scheduling errors are raised to the caller (notifications.services.notify)."""

    def __init__(self, limit=10_000, timeout=10):
        self.limit = limit
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._loop = None
        self._emit = None
        self._attached = False

    def attach(self, sio):
        """Called by every request to the server (eventbooking.asgi); acts once."""
        if self._attached:
            return
        with self._lock:
            if not self._attached:
                self._loop, self._emit, self._attached = asyncio.get_running_loop(), sio.emit, True
                if not sio.manager_initialized:
                    # Subscribe to Redis now rather than at the first Socket.io request.
                    sio.manager_initialized = True
                    sio.manager.initialize()

    def _target_loop(self):
        with self._lock:
            if self._loop is None and settings.REALTIME_REDIS_URL:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="notifications", daemon=True).start()
                manager = ResilientRedisManager(settings.REALTIME_REDIS_URL, write_only=True)
                self._loop, self._emit = loop, manager.emit
            return self._loop

    def send(self, event, user_ids, data):
        """Deliver `event` with `data` to each user in `user_ids`, later, on both transports."""
        loop = self._target_loop()
        if loop is None:
            return
        if not self._slots.acquire(blocking=False):
            log.warning("notification %s dropped: %s sends already waiting", event, self.limit)
            return
        try:
            recipients = sorted({str(user_id) for user_id in user_ids})
            asyncio.run_coroutine_threadsafe(self._deliver(event, recipients, dict(data)), loop)
        except BaseException:
            self._slots.release()
            raise

    async def _deliver(self, event, user_ids, data):
        try:
            # Without Redis every listener is in this process: sent to from memory below.
            layer = get_channel_layer() if settings.REALTIME_REDIS_URL else None
            message = {"type": "realtime.notify", "event": event, "data": data}
            for user_id in user_ids:
                sends = [self._emit(event, data, room=user_room(user_id))]
                sends += [consumer.realtime_notify(message) for consumer in list(local_listeners.get(user_id, ()))]
                if layer is not None:
                    sends.append(layer.group_send(user_group(user_id), message))
                try:
                    results = await asyncio.wait_for(asyncio.gather(*sends, return_exceptions=True), self.timeout)
                except Exception as exc:  # noqa: BLE001 - a notification never takes anything down
                    results = [exc]
                for result in results:
                    if isinstance(result, BaseException):
                        log.error("notification %s to user %s failed: %r", event, user_id, result)
        finally:
            self._slots.release()


dispatcher = Dispatcher()
