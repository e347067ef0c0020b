"""One real-time connection's stream of notices, on either transport: each once, in
the order of its user's notice log (notifications.log), with no hole, starting
after the `last_id` the client says it saw."""

import asyncio
import logging

from channels.db import database_sync_to_async
from django.conf import settings

from notifications.log import notice_message, notices_after

log = logging.getLogger(__name__)

# The first message to a client that resumes after notices it missed expired.
GAP = "notices.gap"
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
