"""Notifications between server processes: one Redis channel per user.

A process that has listeners of a user (either transport) subscribes to that user's
channel, on one pub/sub connection of its own, and unsubscribes when the last one
leaves. A notification is one PUBLISH per recipient, sent in the caller's thread on
the process's shared connection pool (shared.cachepool): for a user nobody
listens to, that PUBLISH reaches no one and is all it costs. The sending process
delivers to its own listeners from memory (notifications.realtime), so copies that
come back to it are dropped by their origin.

Made to outlive Redis: publishing goes through a RedisGuard (a failure costs one
REDIS_TIMEOUT_MS at most, then this process skips Redis for REDIS_RETRY_SECONDS);
the subscriber reconnects every RETRY_MAX_SECONDS at most and subscribes again to
every channel it needs (a Redis that comes back has forgotten them all).

Why not a library's (measured, bench/README.md; the adapters are in
notifications.fanout_libs): python-socketio's Redis manager sends every notice to
every process on one channel, swallows publish failures, and after an outage
resumes on its back-off (up to 60 s); channels-redis's pub/sub layer never
subscribes what was asked while Redis was down; both cost more CPU per booking.
"""

import asyncio
import json
import logging
import math
import uuid

from django.conf import settings
from redis.asyncio import ConnectionPool as AsyncConnectionPool

from shared.cachepool import redis_client
from shared.redisguard import guard_for

log = logging.getLogger(__name__)

RETRY_MIN_SECONDS = 0.1
RETRY_MAX_SECONDS = 2


def user_channel(user_id):
    return f"{settings.REALTIME_CHANNEL_PREFIX}:user:{user_id}"


class Fanout:
    on_loop = False

    def __init__(self, url, deliver, local=None):
        """`deliver(user_id, event, notice_id, created_at, data)`: a coroutine function that sends to this
        process's listeners of `user_id`; called on the loop that subscribes."""
        self.url = url
        self.deliver = deliver
        self.origin = uuid.uuid4().hex
        self.guard = guard_for(url)
        self.listening = {}  # channel -> this process's listeners (either transport)
        self.confirmed = {}  # channel -> future set when Redis confirms the subscription
        self.connection = None
        self.runner = None

    # Publishing, from any thread.
    def publish(self, event, notices, data):
        """PUBLISH each notice, [(user id, notice id, created_at)], to its user's channel;
        False when that failed (Redis down or bypassed), for the caller to log."""
        data = json.dumps(data, default=str)

        def send():
            pipe = redis_client(self.url).pipeline(transaction=False)
            for user_id, notice_id, created_at in notices:
                head = json.dumps({"o": self.origin, "e": event, "i": notice_id, "t": created_at})
                pipe.publish(user_channel(user_id), f'{head[:-1]}, "d": {data}}}')
            pipe.execute()
            return True

        return self.guard.call(send, False)

    # Subscribing, on the server's event loop.
    async def listen(self, user_id):
        """Count one more listener of `user_id` here; the first subscribes, and this
        returns once Redis confirmed it (REDIS_TIMEOUT_MS at most: if Redis is down,
        the subscription is made when it comes back)."""
        channel = user_channel(user_id)
        self.listening[channel] = self.listening.get(channel, 0) + 1
        if self.runner is None:
            self.runner = asyncio.create_task(self._run())
        if self.listening[channel] == 1:
            self.confirmed[channel] = asyncio.get_running_loop().create_future()
            await self._command("SUBSCRIBE", channel)
        try:
            await asyncio.wait_for(asyncio.shield(self.confirmed[channel]), settings.REDIS_TIMEOUT_SECONDS)
        except (asyncio.TimeoutError, KeyError):
            pass

    async def unlisten(self, user_id):
        channel = user_channel(user_id)
        count = self.listening.get(channel, 0) - 1
        if count > 0:
            self.listening[channel] = count
            return
        self.listening.pop(channel, None)
        self.confirmed.pop(channel, None)
        await self._command("UNSUBSCRIBE", channel)

    async def _command(self, *args):
        if self.connection is None or not self.connection.is_connected:
            return  # _run subscribes to everything once it is connected
        try:
            await self.connection.send_command(*args, check_health=False)
        except Exception as exc:  # noqa: BLE001 - _run reconnects and subscribes again
            log.warning("real-time %s failed (%r); retried on reconnect", args[0], exc)

    async def _run(self):
        delay = RETRY_MIN_SECONDS
        timeout = settings.REDIS_TIMEOUT_SECONDS
        # RESP2: messages arrive as replies to read (RESP3 hands them to a push handler).
        pool = AsyncConnectionPool.from_url(self.url, socket_connect_timeout=timeout, socket_timeout=timeout, protocol=2)
        while True:
            connection = pool.make_connection()
            try:
                await connection.connect()
                self.connection = connection
                if self.listening:
                    await connection.send_command("SUBSCRIBE", *self.listening, check_health=False)
                if delay > RETRY_MIN_SECONDS:
                    log.warning("real-time fan-out through Redis resumed")
                delay = RETRY_MIN_SECONDS
                while True:
                    await self._handle(await connection.read_response(timeout=math.inf))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect
                if delay == RETRY_MIN_SECONDS:
                    log.warning("real-time fan-out through Redis lost (%r); retrying every %ss at most", exc, RETRY_MAX_SECONDS)
            finally:
                self.connection = None
                try:
                    await connection.disconnect()
                except Exception:  # noqa: BLE001
                    pass
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)

    async def _handle(self, reply):
        kind, channel = reply[0], reply[1].decode()
        if kind == b"subscribe":
            future = self.confirmed.get(channel)
            if future is not None and not future.done():
                future.set_result(True)
        elif kind == b"message":
            message = json.loads(reply[2])
            if message["o"] != self.origin:  # this process delivered its own from memory
                user_id = channel.rsplit(":", 1)[1]
                asyncio.create_task(self.deliver(user_id, message["e"], message["i"], message["t"], message["d"]))
