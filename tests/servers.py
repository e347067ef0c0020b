"""Real daphne processes for the tests that need a server over the network."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

from devtools.services import die_with_parent, free_port

ROOT = Path(__file__).resolve().parent.parent


class DaphneServer:
    """One `daphne eventbooking.asgi:application` process on a free port."""

    def __init__(self, *, redis=True, extra_env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            MONGODB_URI=connection.settings_dict["HOST"],
            MONGODB_NAME=connection.settings_dict["NAME"],
            DEBUG="0",
            SECRET_KEY="test-server-secret-not-the-default",
            # Tokens minted in the test process must verify in the server.
            JWT_SIGNING_KEY=settings.SIMPLE_JWT["SIGNING_KEY"],
            ALLOWED_HOSTS="127.0.0.1,localhost",
            # No background reconciler: tests arrange interrupted bookings and reconcile
            # themselves; a test that wants it passes RECONCILE_INTERVAL_SECONDS.
            RECONCILE_INTERVAL_SECONDS="0",
        )
        if not redis:
            self.env.pop("REDIS_URL", None)
        self.env.update(extra_env or {})
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
