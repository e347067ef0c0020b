"""The real-time fan-out through Redis, made to outlive Redis.

What the stock libraries do when Redis dies (python-socketio 5.18, channels-redis 4.3):
- python-socketio's AsyncRedisManager delivers an emit to its own process's
  clients first, then publishes it; a failed publish is logged. Its listener
  reconnects on its own, waiting 1, 2, 4 ... up to 60 s between attempts, so
  cross-process delivery could come back a minute after Redis did.
- channels-redis keeps each process's WebSocket connections on Redis: a send to a
  group reads the group's members from Redis and pushes to each one's queue in
  Redis, even for a connection in the sending process. With Redis down, a group
  send reaches no one, and the receive that every connection waits in raises,
  which closes the connection. A Redis that comes back empty has forgotten every
  group.

So, here:
- ResilientRedisManager: the same Socket.io manager, with short timeouts for
  publishing and a listener that tries again every RETRY_MAX_SECONDS at most.
- ResilientRedisChannelLayer: a group send reaches the other processes through
  Redis; the copies that come back to the sending process are dropped, because
  notifications.realtime delivers to its own connections from memory. Group
  changes never raise; a receive that fails waits, re-joins its groups (Redis may
  have come back empty) and tries again, so a connection outlives an outage.
"""

import asyncio
import logging
from collections import defaultdict

import socketio
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from redis import asyncio as aioredis

log = logging.getLogger(__name__)

RETRY_MIN_SECONDS = 0.1
RETRY_MAX_SECONDS = 2
# The process that sent a group message, so that it does not deliver it twice.
ORIGIN = "__eventbooking_origin__"


class ResilientRedisManager(socketio.AsyncRedisManager):
    def __init__(self, url, **kwargs):
        timeout = settings.REDIS_TIMEOUT_SECONDS
        options = {"socket_connect_timeout": timeout, "socket_timeout": timeout}
        super().__init__(url, redis_options=options, **kwargs)

    async def _redis_listen_with_retries(self):
        # Blocking reads of a subscription never time out (redis-py reads them with no
        # timeout); a dead connection raises, and then we try again soon.
        delay = RETRY_MIN_SECONDS
        while True:
            client = aioredis.Redis.from_url(self.redis_url, **self.redis_options)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if delay > RETRY_MIN_SECONDS:
                    log.warning("Socket.io fan-out through Redis resumed")
                delay = RETRY_MIN_SECONDS
                async for message in pubsub.listen():
                    yield message
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect
                if delay == RETRY_MIN_SECONDS:
                    log.warning("Socket.io fan-out through Redis lost (%r); retrying every %ss at most", exc, RETRY_MAX_SECONDS)
            finally:
                await _quietly(pubsub.aclose())
                await _quietly(client.aclose())
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


class ResilientRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # group -> this process's channels in it, kept whether or not Redis has them.
        self.local_groups = defaultdict(set)

    def _bounded(self, call):
        return asyncio.wait_for(call, settings.REDIS_TIMEOUT_SECONDS)

    async def group_add(self, group, channel):
        self.local_groups[group].add(channel)
        try:
            await self._bounded(super().group_add(group, channel))
        except Exception as exc:  # noqa: BLE001 - delivered in this process meanwhile; re-joined later
            log.warning("could not add %s to group %s in Redis (%r): this process delivers to it", channel, group, exc)

    async def group_discard(self, group, channel):
        members = self.local_groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.local_groups[group]
        try:
            await self._bounded(super().group_discard(group, channel))
        except Exception:  # noqa: BLE001 - it expires from Redis (group_expiry)
            pass

    async def group_send(self, group, message):
        """To the group's members in the other processes (this one's come back and are
        dropped: notifications.realtime delivers to them from memory). Raises if Redis
        failed; the caller logs it."""
        await self._bounded(super().group_send(group, {**message, ORIGIN: self.client_prefix}))

    async def receive(self, channel):
        delay = RETRY_MIN_SECONDS
        while True:
            try:
                message = await super().receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis failed: wait, re-join, go on
                if delay == RETRY_MIN_SECONDS:
                    log.warning("receiving from Redis failed (%r); this connection waits for it", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                await self._rejoin(channel)
                continue
            if message.pop(ORIGIN, None) == self.client_prefix:
                continue  # already delivered from memory
            return message

    async def _rejoin(self, channel):
        for group, members in list(self.local_groups.items()):
            if channel in members:
                try:
                    await self._bounded(RedisChannelLayer.group_add(self, group, channel))
                except Exception:  # noqa: BLE001 - the next failure tries again
                    return


async def _quietly(call):
    try:
        await call
    except Exception:  # noqa: BLE001
        pass
