"""The libraries' fan-outs between processes, kept to measure ours against
(REALTIME_FANOUT, default "ours": notifications.fanout; figures in bench/README.md):
python-socketio's AsyncRedisManager ("socketio") or channels-redis's
RedisPubSubChannelLayer ("channels"). Same interface as Fanout: publish (from any
thread; "socketio" only where there is no server loop, elsewhere `emit` on the loop
delivers here first and then publishes), listen / unlisten (on the server's loop)."""

import asyncio
import json
import logging
import uuid

import socketio
from asgiref.sync import async_to_sync
from django.conf import settings

from shared.redisguard import guard_for

log = logging.getLogger(__name__)

NOTICE = "notice"  # the one event the Socket.io manager carries between processes


class NoticeManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, carrying notices to this process's listeners on
    both transports (not to Socket.io rooms: each listener keeps the log's order)."""

    def __init__(self, url, deliver, local):
        super().__init__(url, channel=f"{settings.REALTIME_CHANNEL_PREFIX}:socketio",
                         redis_options={"socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS})
        self.deliver, self.local = deliver, local
        self.guard = guard_for(url)
        self.published = True

    async def _handle_emit(self, message):
        if message["event"] != NOTICE:
            return await super()._handle_emit(message)
        event, notices, data = message["data"][0]
        for user_id, notice_id, created_at in notices:
            if self.local(user_id):
                await self.deliver(user_id, event, notice_id, created_at, data)

    async def _publish(self, data):
        self.published = False
        if self.guard.bypassed:
            return
        try:
            await asyncio.wait_for(super()._publish(data), settings.REDIS_TIMEOUT_SECONDS)
            self.published = True
        except asyncio.TimeoutError as exc:
            self.connected = False
            self.guard.failed(exc)


class SocketIOFanout:
    on_loop = True  # local delivery and publishing both happen in manager.emit, on the loop

    def __init__(self, url, deliver, local):
        self.url = url
        self.manager = NoticeManager(url, deliver, local)
        self.writer = None

    async def emit(self, event, notices, data):
        """Deliver here first, then publish; False when publishing failed."""
        await self.manager.emit(NOTICE, [event, [list(n) for n in notices], json.loads(json.dumps(data, default=str))])
        return self.manager.published and not self.manager.guard.bypassed

    def publish(self, event, notices, data):
        """From a process without a server loop (management commands)."""
        if self.writer is None:
            self.writer = socketio.RedisManager(self.url, channel=self.manager.channel, write_only=True, redis_options={
                "socket_connect_timeout": settings.REDIS_TIMEOUT_SECONDS, "socket_timeout": settings.REDIS_TIMEOUT_SECONDS})
        payload = [event, [list(n) for n in notices], json.loads(json.dumps(data, default=str))]
        return self.manager.guard.call(lambda: self.writer.emit(NOTICE, payload) or True, False)

    async def listen(self, user_id):
        pass  # the manager listens to every notice from the start

    async def unlisten(self, user_id):
        pass


class ChannelsFanout:
    """channels-redis's pub/sub layer: one group (one SUBSCRIBE) per user listened to
    here, all feeding one channel of this process; copies this process published are
    dropped by origin (it delivered them from memory)."""

    on_loop = False

    def __init__(self, url, deliver, local):
        from channels_redis.pubsub import RedisPubSubChannelLayer

        self.url, self.deliver = url, deliver
        self.origin = uuid.uuid4().hex
        self.layer = RedisPubSubChannelLayer(hosts=[url], prefix=f"{settings.REALTIME_CHANNEL_PREFIX}:layer")
        self.guard = guard_for(url)
        self.channel = None
        self.listening = {}
        self.loop = None
        self.runner = None

    def publish(self, event, notices, data):
        async def send():
            for user_id, notice_id, created_at in notices:
                await self.layer.group_send(f"user.{user_id}", {"type": "notice", "o": self.origin, "e": event,
                                                                "u": user_id, "i": notice_id, "t": created_at, "d": data})

        def call():
            if self.loop is not None:
                return asyncio.run_coroutine_threadsafe(
                    asyncio.wait_for(send(), settings.REDIS_TIMEOUT_SECONDS), self.loop).result() or True
            async_to_sync(send)()
            return True

        return self.guard.call(call, False) if not self.guard.bypassed else False

    async def listen(self, user_id):
        self.loop = asyncio.get_running_loop()
        if self.channel is None:
            self.channel = await self.layer.new_channel()
            self.runner = asyncio.create_task(self._run())
        self.listening[user_id] = self.listening.get(user_id, 0) + 1
        if self.listening[user_id] == 1:
            try:
                await asyncio.wait_for(self.layer.group_add(f"user.{user_id}", self.channel), settings.REDIS_TIMEOUT_SECONDS)
            except Exception as exc:  # noqa: BLE001
                log.warning("real-time subscription of user %s failed (%r)", user_id, exc)

    async def unlisten(self, user_id):
        count = self.listening.get(user_id, 0) - 1
        if count > 0:
            self.listening[user_id] = count
            return
        self.listening.pop(user_id, None)
        try:
            await self.layer.group_discard(f"user.{user_id}", self.channel)
        except Exception as exc:  # noqa: BLE001
            log.warning("real-time unsubscription of user %s failed (%r)", user_id, exc)

    async def _run(self):
        while True:
            message = await self.layer.receive(self.channel)
            if message["o"] != self.origin:
                asyncio.create_task(self.deliver(message["u"], message["e"], message["i"], message["t"], message["d"]))
