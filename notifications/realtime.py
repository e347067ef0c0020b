"""Real-time plumbing shared by both transports: who may connect, where each
user listens, the Socket.io server, and the dispatcher that sends notifications.

What is sent, and to whom, lives in notifications.services; every notice is first
recorded in its recipient's log (notifications.log) and carries its id there.

Each process keeps its own connections in memory, one Listener each (either
transport), per user. A notification is delivered from memory to this process's
listeners of each recipient (scheduled on daphne's loop, only when there are some),
and, with REALTIME_REDIS_URL (default REDIS_URL), published to each recipient's
Redis channel for the other processes (notifications/fanout.py), which subscribe
only to the users listening to them. Without Redis: in memory, one process.

A client that reconnects says the id of the last notice it saw (`last_id`) and gets
every later one from the log, once and in order, then the live ones (Listener).
"""

import asyncio
import logging
import threading
from collections import defaultdict
from urllib.parse import urlsplit

import socketio
from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts.authentication import CheckedAccessToken, TokenAuthentication
from eventbooking import jsonbody
from notifications.fanout import Fanout
from notifications.log import notice_head, notice_message, notices_after

log = logging.getLogger(__name__)

# WebSocket close codes (4000-4999 are the application's). Socket.io clients get
# the same `code` strings in connect_error's data.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_SERVER_ERROR = 1011
MAX_TOKEN_LENGTH = 4096
# The first message to a client that resumes after notices it missed expired.
GAP = "notices.gap"


class Refused(Exception):
    """A connection that may not listen; `code` is stable, `message` is for people."""

    def __init__(self, code, message, close_code=CLOSE_UNAUTHORIZED):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code

    def as_dict(self):
        return {"code": self.code, "message": self.message}


REPLAY_PAGE = 500


class Listener:
    """One connection listening to its user's notices, on either transport.

    It delivers each notice once, in the order of the log (notifications.log), with
    no hole: `last` is the id of the last notice sent. A notice at or below it is
    dropped (already sent by the replay); one beyond `last + 1` (it overtook another
    between processes) is preceded by the ones in between, read from the log, where
    they are already (a notice is recorded after every earlier one of its recipient).

    At connect, the connection's lock is held while it subscribes and replays: live
    notices that arrive meanwhile wait for it, then are dropped or sent in order."""

    def __init__(self, user_id, send):
        """`send(event, message)`: a coroutine sending `message` (a dict) as `event`."""
        self.user_id = str(user_id)
        self.send = send
        self.last = None
        self.lock = asyncio.Lock()
        self.task = None

    async def resume(self, last_id, start=None):
        """Called with the lock held, once the connection hears live notices: send the
        gap message if notices after `last_id` expired, then every kept notice after
        it, then let the live ones through. `last_id` None: from `start`, the newest id
        before the connection subscribed (listener_open), so a notice recorded while it
        subscribed is not missed."""
        try:
            if last_id is None:
                await self._send_from_log(start)
                return
            await self._send_from_log(last_id, gap_message=True)
        except Exception:
            log.exception("replay to user %s failed", self.user_id)
        finally:
            self.lock.release()

    async def deliver(self, notice):
        async with self.lock:
            if self.last is not None and notice["id"] <= self.last:
                return
            if self.last is not None and notice["id"] > self.last + 1:
                await self._send_from_log(self.last, upto=notice["id"] - 1)
            await self.send(notice["type"], notice)
            self.last = notice["id"]

    async def _send_from_log(self, after, upto=None, gap_message=False):
        while True:
            docs, gap = await database_sync_to_async(notices_after)(
                recipient=self.user_id, after=after, limit=REPLAY_PAGE
            )
            if gap is not None and gap_message:
                await self.send(GAP, {"type": GAP, "data": {**gap, "retention_days": settings.NOTICE_RETENTION_DAYS}})
            gap_message = False
            if gap is not None and not docs:
                self.last = gap["resumes_after"]  # the newest kept (None: nothing is)
                return
            for doc in docs:
                if upto is not None and doc["seq"] > upto:
                    return
                await self.send(doc["kind"], notice_message(doc))
                self.last = after = doc["seq"]
            if len(docs) < REPLAY_PAGE:
                if self.last is None:
                    self.last = after or None
                return


# user id (str) -> this process's Listeners of that user (both transports).
listeners = defaultdict(set)


def listening_here(user_id):
    return user_id in listeners


async def listener_open(listener, last_id):
    """Register `listener` (listener_add); returns where a connection without `last_id`
    starts: the newest id of its user's log read before it subscribed (None: none)."""
    start = None
    if last_id is None:
        try:
            start = await database_sync_to_async(notice_head)(listener.user_id)
        except Exception:
            log.exception("could not read the notice log of user %s", listener.user_id)
            raise Refused("server_error", "The notice log could not be read; try again shortly.", CLOSE_SERVER_ERROR) from None
    await listener_add(listener)
    return start


async def listener_add(listener):
    """Count `listener` here (its lock held: live notices wait for its replay).
    Returns once it also hears what other processes send."""
    await listener.lock.acquire()
    listeners[listener.user_id].add(listener)
    fanout = dispatcher.fanout
    if fanout is not None:
        await fanout.listen(listener.user_id)


async def listener_remove(listener):
    if listener.task is not None and not listener.task.done():
        listener.task.cancel()
    mine = listeners.get(listener.user_id)
    if mine is None or listener not in mine:
        return
    mine.discard(listener)
    if not mine:
        del listeners[listener.user_id]
    fanout = dispatcher.fanout
    if fanout is not None:
        await fanout.unlisten(listener.user_id)


def last_id_of(value):
    """The `last_id` a client sends, as an int; None when absent; Refused when malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**18:
        raise Refused("bad_last_id", "last_id must be the id of a notice (a whole number) or absent.", CLOSE_BAD_MESSAGE)
    return value


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
                await sio.emit(GAP, message["data"], to=sid)
            else:
                await sio.emit(event, {**message["data"], "notice_id": message["id"]}, to=sid)

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
        self._fanout = None

    def attach(self, sio):
        """Called by every request to the server (eventbooking.asgi); acts once."""
        if self._loop is None:
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

    def send(self, event, notices, data):
        """Deliver `event` with `data` to each recipient of `notices`, [(user id, notice
        id, created_at)] as recorded in the log, on both transports."""
        if not notices:
            return
        data = dict(data)
        fanout = self.fanout
        if fanout is not None and not fanout.publish(event, notices, data):
            recipients = [user_id for user_id, *_ in notices]
            who = f"user {recipients[0]}" if len(recipients) == 1 else f"users {', '.join(recipients)}"
            log.error("notification %s to %s failed: not published to the other processes (Redis unavailable)", event, who)
        here = [notice for notice in notices if listening_here(notice[0])]
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

    async def _deliver(self, event, notices, data):
        try:
            for user_id, notice_id, created_at in notices:
                await self._deliver_here(user_id, event, notice_id, created_at, data)
        finally:
            self._slots.release()

    async def _deliver_here(self, user_id, event, notice_id, created_at, data):
        """To this process's listeners of `user_id`, on both transports."""
        notice = {"id": notice_id, "type": event, "created_at": created_at, "data": data}
        sends = [listener.deliver(notice) for listener in list(listeners.get(user_id, ()))]
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
