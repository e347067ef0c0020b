"""devtools/services.py: the local MongoDB-compatible server, redis-server and the
reconciler beside the command (what `make run` starts) die with their parent."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parents[2]


def _listening(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid):
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("how", ["sigkill", "sigint"])
def test_services_do_not_outlive_the_wrapper(tmp_path, how):
    # DATA_DIR from --data: the reconciler's lock there is this test's alone.
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "REDIS_URL", "DATA_DIR")}
    started = time.monotonic()
    reconciler = f"sh -c 'echo reconciler $$; exec {sys.executable} manage.py reconcile_bookings --every 1'"
    wrapper = subprocess.Popen(
        [sys.executable, "devtools/services.py", "--mongo", "h2", "--data", str(tmp_path), "--redis",
         "--beside", reconciler, "--", "sleep", "120"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    # "==> ..." lines say what starts; the others what is there.
    lines = (line for line in wrapper.stdout if not line.startswith("==> "))
    mongo_uri = next(lines).split(" at ")[1].strip()
    redis_url = next(lines).split(" at ")[1].strip()
    reconciler_pid = int(next(lines).split()[1])
    # Its first word: on a database never migrated (as here) it says it waits for that.
    assert next(lines).startswith(("reconcile_bookings: every 1s", "reconcile_bookings: waiting for the database's migrations"))
    print(f"services up in {time.monotonic() - started:.2f}s")
    mongo_port, redis_port = int(mongo_uri.split(":")[2].split("/")[0]), int(redis_url.split(":")[2].split("/")[0])
    client = MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    assert client.admin.command("hello")["maxWireVersion"] == 17
    assert client.admin.command("buildInfo")["version"].startswith("6.0")
    client.close()
    assert _listening(redis_port)

    if how == "sigkill":
        wrapper.kill()  # the wrapper gets no chance to clean up
    else:
        os.killpg(wrapper.pid, signal.SIGINT)  # what Ctrl-C does to the terminal's foreground group
    wrapper.wait(30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (_listening(mongo_port) or _listening(redis_port) or _alive(reconciler_pid)):
        time.sleep(0.1)
    assert not _listening(mongo_port), "the MongoDB-compatible server outlived its parent"
    assert not _listening(redis_port), "redis-server outlived its parent"
    assert not _alive(reconciler_pid), "the reconciler outlived its parent"
