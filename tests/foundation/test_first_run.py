"""A new user's first `make run`, as they see it: a line per set-up step, a banner
with the addresses once the API answers, each request logged once; `make createstaff`
beside it, `make reset` refused while it runs and wiping the local database after;
a port in use or settings that refuse to start said in one line before anything
starts. `make run` here has its own data directory and the local server (no
MONGODB_URI, no Redis), as on a fresh checkout."""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

from devtools.services import free_port

ROOT = Path(__file__).resolve().parents[2]
# What `make test` exports and a user's shell does not have; and not a make inside a make.
DROPPED_ENV = {"MONGODB_URI", "MONGODB_NAME", "REDIS_URL", "REALTIME_REDIS_URL", "EVENTBOOKING_LOCAL_MONGO",
               "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "DATA_DIR", "SECRET_KEY", "HOST", "PORT", "DJANGO_SETTINGS_MODULE"}
pytestmark = pytest.mark.slow
STAFF = {"STAFF_EMAIL": "ada@example.com", "STAFF_PASSWORD": "Correct-Horse-42", "STAFF_NAME": "Ada"}


def user_env(data_dir, **extra):
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update({"DATA_DIR": str(data_dir), "DEBUG": "1", **extra})
    return env


def make(target, env, timeout=120, **params):
    command = ["make", "--no-print-directory", target] + [f"{key}={value}" for key, value in params.items()]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def stop_group(proc):
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


class MakeRun:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = user_env(data_dir)
        self.log = tempfile.NamedTemporaryFile(mode="w+", prefix="make-run-", suffix=".log")
        self.proc = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={self.port}"], cwd=ROOT, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def output(self):
        return Path(self.log.name).read_text(errors="replace")

    def wait_for(self, text, timeout=180):
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc.poll() is None, f"make run exited with {self.proc.returncode}:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} from make run:\n{self.output()}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def make_run(tmp_path_factory):
    run = MakeRun(tmp_path_factory.mktemp("first-run"))
    try:
        run.wait_for("==> Ready")
        run.wait_for("make reset")  # the banner's last line
        yield run
    finally:
        stop_group(run.proc)
        run.log.close()


def test_make_run_says_each_step_as_it_starts_and_ends_on_a_banner(make_run):
    output = make_run.output()
    steps = [line for line in output.splitlines() if line.startswith("==> ")]
    assert [step.split(" ")[1:3] for step in steps] == [
        ["Starting", "the"],  # the local MongoDB-compatible server
        ["Applying", "database"],
        ["Starting", "the"],  # the web server
        ["Ready:", "the"],
    ], output
    assert f"data in {make_run.data_dir}" in steps[0] and f"127.0.0.1:{make_run.port}" in steps[2]
    banner = output[output.index("==> Ready"):]
    for path in ("/events", "/docs/", "/schema/", "/admin/"):
        assert re.search(re.escape(f"{make_run.url}{path}") + r"[\s)]", banner), banner
    assert "make createstaff" in banner and "Ctrl-C" in banner
    assert "HTTP/2" not in output and "Traceback" not in output
    # Every address it names answers.
    assert httpx.get(f"{make_run.url}/events").status_code == 200
    assert httpx.get(f"{make_run.url}/docs/").status_code == 200
    assert httpx.get(f"{make_run.url}/schema/").status_code == 200
    admin = httpx.get(f"{make_run.url}/admin/")
    assert admin.status_code == 302 and admin.headers["location"].startswith("/admin/login/")


def test_each_request_is_logged_once(make_run):
    request_id = uuid.uuid4().hex
    assert httpx.get(f"{make_run.url}/events?page=2", headers={"X-Request-ID": request_id}).status_code == 200
    deadline = time.monotonic() + 5
    while request_id not in make_run.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a second line would follow at once
    mentions = [line for line in make_run.output().splitlines() if "/events?page=2" in line or request_id in line]
    assert len(mentions) == 1, mentions
    assert '"path": "/events"' in mentions[0] and '"status": 200' in mentions[0]


def test_createstaff_works_while_make_run_runs_on_its_database(make_run):
    created = make("createstaff", dict(make_run.env, **STAFF))
    assert created.returncode == 0, created.stdout + created.stderr
    assert "Using the local database of the running `make run`" in created.stdout
    assert f"Staff user {STAFF['STAFF_EMAIL']} created." in created.stdout
    # The running service knows the account at once: its admin lets it in.
    with httpx.Client(base_url=make_run.url) as browser:
        page = browser.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        login = browser.post(
            "/admin/login/?next=/admin/",
            data={"csrfmiddlewaretoken": token, "username": STAFF["STAFF_EMAIL"], "password": STAFF["STAFF_PASSWORD"]},
            headers={"Referer": f"{make_run.url}/admin/login/"},
        )
        assert login.status_code == 302 and login.headers["location"] == "/admin/", login.text[:500]
        assert "Dashboard | Event Booking staff" in browser.get("/admin/").text
    assert make_run.proc.poll() is None


def test_reset_is_refused_while_make_run_runs(make_run):
    refused = make("reset", make_run.env)
    assert refused.returncode != 0
    line = refused.stderr.splitlines()[0]
    assert str(make_run.data_dir / "mongo") in line and "stop it first" in line, refused.stderr
    assert "Traceback" not in refused.stderr
    assert httpx.get(f"{make_run.url}/health").status_code == 200
    assert sorted(path.name for path in (make_run.data_dir / "mongo").iterdir()) == ["local-mongo.mv.db", "mongo.lock"]


def test_reset_wipes_the_local_database_and_nothing_else(tmp_path):
    env = user_env(tmp_path)
    write = "import os, pymongo; pymongo.MongoClient(os.environ['MONGODB_URI']).eventbooking.users.insert_one({'email': 'x'})"
    wrote = subprocess.run(
        [sys.executable, "devtools/services.py", "--mongo", "h2", "--", sys.executable, "-c", write],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert wrote.returncode == 0 and (tmp_path / "mongo" / "local-mongo.mv.db").exists(), wrote.stdout + wrote.stderr
    (tmp_path / "secret-key").write_text("kept")
    reset = make("reset", env)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert f"Wiped the local database in {tmp_path / 'mongo'}" in reset.stdout
    assert [path.name for path in (tmp_path / "mongo").iterdir()] == ["mongo.lock"]
    assert (tmp_path / "secret-key").read_text() == "kept"
    assert (ROOT / ".venv" / "bin" / "python").exists() and (ROOT / "devtools/mongo-server/target/local-mongo.jar").exists()


def test_a_port_in_use_is_said_before_the_database_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = make("run", user_env(tmp_path), timeout=60, PORT=port)
    assert run.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in run.stderr and f"PORT={port + 1}" in run.stderr
    assert "MongoDB" not in run.stdout + run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "mongo").exists()


def test_debug_off_without_a_secret_key_says_why_alone(tmp_path):
    run = make("run", user_env(tmp_path, DEBUG="0"), timeout=60, PORT=free_port())
    assert run.returncode != 0
    assert "SECRET_KEY is unset and DEBUG is off: set SECRET_KEY to a long random value." in run.stderr
    assert "Traceback" not in run.stdout + run.stderr and "MongoDB" not in run.stdout + run.stderr
    lines = [line for line in run.stderr.splitlines() if not line.startswith("make: ***")]
    assert len(lines) == 1, run.stderr
