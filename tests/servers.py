"""Real processes on the test database: daphne servers for the tests that need a
server over the network, and the reconciler as `make run` starts it."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis
from django.conf import settings
from django.db import connection

from devtools.services import die_with_parent, free_port, start_mongo

ROOT = Path(__file__).resolve().parent.parent


def process_env(*, redis=True, extra_env=None):
    """The environment of a process of ours on the test database (and Redis)."""
    env = dict(os.environ)
    # Under pytest-xdist the environment already names the worker's Redis database
    # (tests/settings.py); the worker's name would make the process pick it again.
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(
        # tests/settings.py: users made in the test process (fast hasher) log in here too.
        DJANGO_SETTINGS_MODULE="tests.settings",
        MONGODB_URI=connection.settings_dict["HOST"],
        MONGODB_NAME=connection.settings_dict["NAME"],
        DEBUG="0",
        SECRET_KEY="test-server-secret-not-the-default",
        # Tokens minted in the test process must verify in the server.
        JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
        # Ticket codes made in the test process must verify there too (and the other way).
        TICKET_SIGNING_KEY=settings.TICKET_SIGNING_KEY,
        TICKET_VERIFY_KEYS=",".join(settings.TICKET_VERIFY_KEYS),
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    if not redis:
        env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    return env


class ReconcilerProcess:
    """`manage.py reconcile_bookings --every N` as its own process, as `make run` starts it."""

    def __init__(self, *, every=1, older_than=1, extra_env=None):
        self.command = [sys.executable, "manage.py", "reconcile_bookings", "--every", str(every), "--older-than", str(older_than)]
        # A DATA_DIR of its own: a periodic reconciler stands by while another holds that
        # directory's lock (a `make run` in this checkout, say).
        self.env = process_env(extra_env={"DATA_DIR": tempfile.mkdtemp(prefix="reconciler-"), **(extra_env or {})})
        self.log = tempfile.NamedTemporaryFile(prefix="reconciler-", suffix=".log", delete=False)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent
        )
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-5000:]


class DaphneServer:
    """One `daphne eventbooking.asgi:application` process on a free port."""

    def __init__(self, *, redis=True, extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = process_env(redis=redis, extra_env=extra_env)
        self.log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)
        self.proc = None

    def start(self, timeout=60, healthy=True):
        """Wait until /health answers (200, or any status with healthy=False)."""
        self.proc = subprocess.Popen(
            # Twisted's default listen backlog (50) drops connections of a burst (the booking races).
            [sys.executable, "-m", "daphne", "-e", f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024", "eventbooking.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        return self._wait_healthy(timeout, healthy)

    def _wait_healthy(self, timeout, healthy):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.proc.returncode}:\n{self.output()}")
            try:
                status = httpx.get(f"{self.url}/health", timeout=5).status_code
                if status == 200 or not healthy:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not answer /health within {timeout}s:\n{self.output()}")

    def hop_lines(self, request_ids, timeout=10):
        """The log lines of tests/hooks/threadhops.py (on in tests/settings.py) for these
        requests, in order: hops, threads, pid. Each is written once its request has finished."""
        deadline = time.monotonic() + timeout
        while True:
            text = Path(self.log.name).read_text(errors="replace")
            found = {}
            for line in text.splitlines():
                if '"thread_hops"' in line:
                    record = json.loads(line[line.index("{") :])
                    found[record["request_id"]] = record
            missing = [rid for rid in request_ids if rid not in found]
            if not missing:
                return [found[rid] for rid in request_ids]
            if time.monotonic() > deadline:
                raise AssertionError(f"no hop line for {missing}:\n{self.output()}")
            time.sleep(0.05)

    def kill(self):
        """SIGKILL: the process gets no chance to clean up, like a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self):
        return Path(self.log.name).read_text(errors="replace")[-5000:]


class WebProcesses(DaphneServer):
    """`devtools/web.py`, what `make run` serves with: one or several daphne processes
    behind one port. Their log lines are in one file (`output()`, `log_text()`)."""

    def __init__(self, *, workers=None, redis=True, extra_env=None):
        env = dict(extra_env or {})
        if workers is not None:
            env["WEB_CONCURRENCY"] = str(workers)
        super().__init__(redis=redis, extra_env=env)

    def start(self, timeout=60, healthy=True):
        self.proc = subprocess.Popen(
            [sys.executable, "devtools/web.py", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
        return self._wait_healthy(timeout, healthy)


class RedisProcess:
    """A redis-server of the test's own, on a port it keeps across restarts, to kill,
    stall (SIGSTOP) and bring back, empty or with the data it saved (`save()`)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tempfile.mkdtemp(prefix="redis-")
        self.proc = None

    def start(self, *, with_saved_data=False, timeout=20):
        if not with_saved_data:
            Path(self.dir, "dump.rdb").unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self):
        return redis.Redis.from_url(self.url, socket_timeout=5, socket_connect_timeout=1)

    def save(self):
        """Write the data as it is now to disk: `start(with_saved_data=True)` brings it back."""
        self.client().save()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)


class LocalMongo:
    """The local MongoDB-compatible server as `make run` runs it (devtools/services.py:
    H2 files, or memory), on a port it keeps across restarts: to kill with SIGKILL, like
    a crash, and start again on its files."""

    def __init__(self, backend="h2"):
        self.backend = backend
        self.port = free_port()
        self.data = tempfile.mkdtemp(prefix="mongo-") if backend == "h2" else None
        self.proc = self.uri = None

    def start(self):
        self.proc, self.uri = start_mongo(self.backend, self.data, port=self.port)
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
