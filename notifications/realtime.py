"""This process's real-time listeners and the dispatcher that sends them notifications.

What is sent, and to whom, lives in notifications.services; every notice is first
recorded in its recipient's log (notifications.log) and carries its id there.

Each process keeps its own connections in memory, one Listener each (either
transport; notifications.listener), per user. A notification is delivered from
memory to this process's listeners of each recipient (scheduled on daphne's loop,
only when there are some), and, with REALTIME_REDIS_URL (default REDIS_URL),
published to each recipient's Redis channel for the other processes
(notifications/fanout.py), which subscribe only to the users listening to them.
Without Redis: in memory, one process.
"""

import asyncio
import logging
import threading
from collections import defaultdict

from channels.db import database_sync_to_async
from django.conf import settings

from notifications.access import CLOSE_SERVER_ERROR, Refused
from notifications.fanout import Fanout
from notifications.fanout_libs import ChannelsFanout, SocketIOFanout
from notifications.log import notice_head

log = logging.getLogger(__name__)

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


class Dispatcher:
    """Sends notifications; `send` returns without waiting for any listener.

    In a server process, this process's listeners of a recipient are sent to on
    daphne's loop (attached on the first request), and only when there are some.
    With REALTIME_REDIS_URL, every process (servers, management commands, tests)
    also publishes each recipient's copy for the other server processes: one PUBLISH
    per recipient in the caller's thread, pipelined, bounded by REDIS_TIMEOUT_MS and
    skipped while the process leaves Redis alone (shared.redisguard); a copy
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
            if not sio.manager_initialized:  # a manager listening to Redis starts listening now
                sio.manager_initialized = True
                sio.manager.initialize()

    def socketio_manager(self):
        """The Socket.io server's client manager: the fan-out's when it is python-socketio's."""
        fanout = self.fanout
        return getattr(fanout, "manager", None)

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
                    kind = {"socketio": SocketIOFanout, "channels": ChannelsFanout}.get(settings.REALTIME_FANOUT, Fanout)
                    self._fanout = kind(url, self._deliver_here, listening_here)
                fanout = self._fanout
        return fanout

    def send(self, event, notices, data):
        """Deliver `event` with `data` to each recipient of `notices`, [(user id, notice
        id, created_at)] as recorded in the log, on both transports."""
        if not notices:
            return
        data = dict(data)
        fanout = self.fanout
        if fanout is not None and fanout.on_loop and self._loop is not None:
            if not self._slots.acquire(blocking=False):
                log.warning("notification %s dropped: %s sends already waiting", event, self.limit)
                return
            try:
                asyncio.run_coroutine_threadsafe(self._emit(fanout, event, notices, data), self._loop)
            except BaseException:
                self._slots.release()
                raise
            return
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

    async def _emit(self, fanout, event, notices, data):
        try:
            if not await fanout.emit(event, notices, data):
                log.error("notification %s failed: not published to the other processes (Redis unavailable)", event)
        finally:
            self._slots.release()

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
