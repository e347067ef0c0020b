"""Real clients for the real-time tests: python-socketio's AsyncClient on a loop
of its own (so tests stay synchronous), a raw WebSocket client, and the official
JavaScript socket.io-client run by Node (tests/realtime/js/listen.mjs)."""

import asyncio
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import socketio
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

WAIT = 30  # seconds: generous, the machine is shared and loaded
JS_DIR = Path(__file__).resolve().parent / "js"


class Loop:
    """One asyncio loop in a daemon thread for every Socket.io client of the session."""

    _loop = None

    @classmethod
    def run(cls, coro, timeout=WAIT):
        if cls._loop is None:
            cls._loop = asyncio.new_event_loop()
            threading.Thread(target=cls._loop.run_forever, name="test-clients", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(coro, cls._loop).result(timeout)


class Inbox:
    """What a client received, in arrival order."""

    def __init__(self):
        self.received = []  # (event, data)
        self.notices = []  # (event, notice id, data) of the notices among them
        self._returned = set()
        self._changed = threading.Condition()

    def put(self, event, data, notice_id=None):
        """Socket.io clients get a notice's id in its data (`notice_id`), WebSocket
        clients beside it: `received` keeps the payload alone, `notices` the ids too."""
        if notice_id is None and isinstance(data, dict) and "notice_id" in data:
            data = dict(data)
            notice_id = data.pop("notice_id")
        with self._changed:
            self.received.append((event, data))
            if notice_id is not None:
                self.notices.append((event, notice_id, data))
            self._changed.notify_all()

    def wait_for_notices(self, count, timeout=WAIT):
        """The first `count` notices (event, id, data), once that many came."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.notices) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self.notices)} notices of {count} within {timeout}s; received {self.received[-5:]}")
                self._changed.wait(remaining)
            return list(self.notices[:count])

    def wait_for(self, event, timeout=WAIT, where=lambda data: True):
        """The data of the first `event` matching `where` that no earlier call returned."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, (name, data) in enumerate(self.received):
                    if index not in self._returned and name == event and where(data):
                        self._returned.add(index)
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {event} within {timeout}s; received {self.received}")
                self._changed.wait(remaining)

    def events(self):
        with self._changed:
            return [name for name, _ in self.received]


class SocketIOListener(Inbox):
    def __init__(self, base_url, token=None, transports=("websocket",), headers=None, last_id=None):
        super().__init__()
        self.last_id = last_id
        self.headers = headers or {}
        self.client = socketio.AsyncClient(reconnection=False)
        self.refusal = None
        self.client.on("*", self._any)
        self.client.on("connect_error", self._connect_error)
        self.base_url, self.token, self.transports = base_url, token, list(transports)

    async def _any(self, event, data):
        self.put(event, data)

    async def _connect_error(self, data):
        self.refusal = data

    def connect(self):
        auth = {"token": self.token} if self.token is not None else None
        if self.last_id is not None:
            auth = {**(auth or {}), "last_id": self.last_id}
        Loop.run(self.client.connect(self.base_url, auth=auth, transports=self.transports, headers=self.headers, wait_timeout=WAIT))
        return self

    def refused(self):
        """Connect, expect a refusal; return connect_error's data."""
        try:
            self.connect()
        except socketio.exceptions.ConnectionError:
            return self.refusal
        self.close()
        raise AssertionError("the connection was accepted")

    def close(self):
        if self.client.connected:
            Loop.run(self.client.disconnect())


class WebSocketListener(Inbox):
    """A raw WebSocket on /ws/notifications/; a thread reads messages into the inbox."""

    def __init__(self, ws_url, token=None, via="query", origin=None, last_id=None):
        super().__init__()
        url = f"{ws_url}/ws/notifications/" + (f"?token={token}" if via == "query" and token else "")
        if via == "query" and token and last_id is not None:
            url += f"&last_id={last_id}"
        self.close_code = None
        self.ws = ws_connect(url, open_timeout=WAIT, origin=origin, legacy=True)
        if via == "message":
            self.ws.send(json.dumps({"type": "auth", "token": token, **({"last_id": last_id} if last_id is not None else {})}))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        try:
            for text in self.ws:
                message = json.loads(text)
                self.put(message["type"], message["data"], message.get("id"))
        except ConnectionClosed:
            pass
        self.close_code = self.ws.close_code
        self.put("closed", self.close_code)

    def ready(self):
        return self.wait_for("ready")

    def refused(self):
        """Expect one error message then the close; return (error data, close code)."""
        error = self.wait_for("error")
        code = self.wait_for("closed")
        return error, code

    def close(self):
        self.ws.close()


class NodeListener(Inbox):
    """The official socket.io-client in Node: prints one JSON line per event."""

    def __init__(self, base_url, token, transports=("websocket",), last_id=None):
        super().__init__()
        node = shutil.which("node")
        assert node, "node is not installed"
        assert (JS_DIR / "node_modules" / "socket.io-client").exists(), "run `make node-deps` (npm ci in tests/realtime/js)"
        self.proc = subprocess.Popen(
            [node, str(JS_DIR / "listen.mjs"), base_url, token or "-", ",".join(transports), str(last_id or "")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            message = json.loads(line)
            self.put(message["event"], message.get("data"))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
