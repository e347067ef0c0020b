"""docs/api.md's Python Socket.io listener, run as written against a daphne process
(only its API address is changed): it hears a booking, gets a fresh access token for
each connection (a restarted server makes it reconnect), and a refused connection
ends in one line, never a traceback."""

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from accounts.services import user_issue_tokens
from devtools.services import free_port
from tests.helpers import token_for

ROOT = Path(__file__).resolve().parents[2]
API_LINE = 'API = "http://localhost:8000"'

pytestmark = pytest.mark.slow


def python_socketio_example():
    text = (ROOT / "docs" / "api.md").read_text()
    start = text.index("Python, Socket.io")
    block = re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)
    assert block.count(API_LINE) == 1, "the example lost its API address line"
    return block


class Listener:
    def __init__(self, url, refresh_token):
        self.log = tempfile.NamedTemporaryFile(mode="w+", prefix="listener-", suffix=".log")
        script = python_socketio_example().replace(API_LINE, f'API = "{url}"')
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-c", script, refresh_token], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, text, count=1, timeout=30):
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            assert time.monotonic() < deadline, f"the listener did not print {text!r} {count} time(s):\n{self.output()}"
            time.sleep(0.1)

    def finish(self, timeout=30):
        self.proc.wait(timeout)
        return self.output()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture
def listener():
    started = []

    def start(url, refresh_token):
        started.append(Listener(url, refresh_token))
        return started[-1]

    yield start
    for one in started:
        one.stop()


def test_the_python_listener_hears_a_booking_and_refreshes_its_token_on_reconnect(
    start_server, listener, organizer, customer, create_event
):
    daphne = start_server()
    event_id = create_event(publish=True, capacity=10, price="12.50")["id"]
    listening = listener(daphne.url, user_issue_tokens(user=organizer)["refresh"])
    listening.wait_for("listening")

    def book():
        answer = httpx.post(f"{daphne.url}/bookings", json={"eventId": event_id, "qty": 1},
                            headers={"Authorization": f"Bearer {token_for(customer)}"}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"]

    first = book()
    listening.wait_for(f"{first} 12.50 9")

    # The server goes away and comes back: the client reconnects by itself, with a new token.
    daphne.stop()
    daphne.proc.wait(10)
    daphne.start()
    listening.wait_for("listening", count=2)
    second = book()
    listening.wait_for(f"{second} 12.50 8")
    # One refresh per connection: the first server's, then the restarted one's.
    log = Path(daphne.log.name).read_text(errors="replace").splitlines()
    refreshes = [line for line in log if '"event": "request"' in line and '"path": "/token/refresh"' in line and '"status": 200' in line]
    assert len(refreshes) == 2, "\n".join(log[-40:])
    assert "Traceback" not in listening.output()


def test_a_refused_refresh_token_ends_in_a_line_not_a_traceback(server, listener):
    output = listener(server.url, "not-a-refresh-token").finish()
    assert "refresh refused: token_not_valid - log in again" in output, output
    assert "refused: token_missing" in output and "not connected:" in output, output
    assert "Traceback" not in output


def test_no_server_ends_in_a_line_not_a_traceback(listener):
    output = listener(f"http://127.0.0.1:{free_port()}", "any").finish()
    assert "not connected: Connection error" in output, output
    assert "Traceback" not in output
