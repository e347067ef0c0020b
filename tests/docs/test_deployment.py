"""docs/operations.md's deployment walk-through can be followed: its environment
file names settings that exist, its systemd units' commands serve and reconcile
with that environment, the nginx site sends the real-time paths through with
their Upgrade headers to the unit's port, and the counter step after a restore
moves every counter on. The licence and the changelog are there."""

import os
import re
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pymongo
import pytest
from django.conf import settings as django_settings
from django.db import connection

from devtools.services import die_with_parent, free_port

ROOT = Path(__file__).resolve().parents[2]
APP = "/srv/eventbooking/app"
SECTION = "## Deploying on a server"

pytestmark = pytest.mark.slow


def deployment():
    text = (ROOT / "docs" / "operations.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start:end]


def blocks(kind):
    """The section's ```kind blocks as rendered: a block inside a list item loses the
    item's indentation, which its fence shows."""
    found = re.findall(rf"^( *)```{kind}\n(.*?)^ *```", deployment(), re.S | re.M)
    return ["".join(line[len(indent):] for line in body.splitlines(keepends=True)) for indent, body in found]


def env_file():
    """The `/etc/eventbooking/env` block: {name: value}."""
    [block] = [b for b in blocks("sh") if b.startswith("DEBUG=0")]
    env = {}
    for line in block.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.strip('"')
    return env


def unit(description):
    [block] = [b for b in blocks("ini") if f"Description={description}" in b]
    return block


def exec_start(block, **replace):
    command = re.search(r"^ExecStart=(.*)$", block, re.M).group(1).replace(APP, str(ROOT))
    for old, new in replace.items():
        command = command.replace(old, new)
    return shlex.split(command)


@pytest.fixture
def production_env(tmp_path):
    """The documented environment file, pointed at the test run's MongoDB (a database
    of its own) and Redis, with one server process on this 2-core machine."""
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}}
    env.update(env_file())
    name = f"deploy_{uuid.uuid4().hex[:10]}"
    env.update(
        MONGODB_URI=connection.settings_dict["HOST"], MONGODB_NAME=name, DATA_DIR=str(tmp_path), WEB_CONCURRENCY="1",
        REDIS_URL=os.environ.get("REDIS_URL", ""), TICKET_SIGNING_KEY=django_settings.TICKET_SIGNING_KEY,
    )
    yield env
    with pymongo.MongoClient(env["MONGODB_URI"]) as client:
        client.drop_database(name)


def test_the_environment_file_names_settings_that_exist():
    settings_source = (ROOT / "eventbooking" / "settings.py").read_text()
    table = (ROOT / "docs" / "operations.md").read_text()
    env = env_file()
    assert {"DEBUG", "SECRET_KEY", "MONGODB_URI", "REDIS_URL", "ALLOWED_HOSTS", "BEHIND_TLS_PROXY"} <= set(env)
    assert env["DEBUG"] == "0"
    for name in env:
        assert re.search(rf'env_\w+\("{name}"', settings_source), f"{name} is not read by eventbooking/settings.py"
        assert f"| `{name}` |" in table, f"{name} is not in the configuration table"


def test_the_web_unit_serves_with_that_environment_behind_the_proxy(production_env):
    web = unit("Event Booking API (daphne)")
    port = re.search(r"--port (\d+)", web).group(1)
    ours = free_port()
    migrate = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=production_env,
        capture_output=True, text=True, timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr
    proc = subprocess.Popen(
        exec_start(web, **{f"--port {port}": f"--port {ours}"}), cwd=ROOT, env=production_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_parent,
    )
    try:
        host = env_file()["ALLOWED_HOSTS"].split(",")[0]
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                health = httpx.get(f"http://127.0.0.1:{ours}/health", headers={"Host": host}, timeout=5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the web unit's command did not answer"
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        # nginx says https: the admin's cookies are secure.
        login = httpx.get(f"http://127.0.0.1:{ours}/admin/login/", headers={"Host": host, "X-Forwarded-Proto": "https"})
        assert login.status_code == 200 and "secure" in login.headers["set-cookie"].lower()
    finally:
        proc.terminate()
        proc.wait(20)

    nginx = blocks("nginx")[0]
    assert f"server 127.0.0.1:{port};" in nginx
    realtime = re.search(r"location ~ (\S+) \{(.*?)\}", nginx, re.S)
    pattern, body = realtime.group(1), realtime.group(2)
    for path in ("/socket.io/?EIO=4&transport=websocket", "/ws/notifications/"):
        assert re.search(pattern, path), path
    assert not re.search(pattern, "/events")
    assert "proxy_set_header Upgrade $http_upgrade;" in body and 'proxy_set_header Connection "upgrade";' in body
    assert int(re.search(r"proxy_read_timeout (\d+)s", body).group(1)) > 25  # Socket.io's ping interval


def test_the_reconciler_unit_runs_with_that_environment(production_env):
    # As the release step does before the services start.
    migrate = subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "migrate", "--noinput", "-v0"],
                             cwd=ROOT, env=production_env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    proc = subprocess.Popen(
        exec_start(unit("Event Booking API reconciler")), cwd=ROOT, env=production_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=die_with_parent,
    )
    try:
        assert proc.stdout.readline().startswith("reconcile_bookings: every 10s")
    finally:
        proc.terminate()
        proc.wait(20)
    worker = unit("Event Booking API worker: manage.py %i")
    assert exec_start(worker)[-2:] == ["manage.py", "%i"]


def test_the_counter_step_after_a_restore_moves_every_counter_on(production_env):
    [step] = [b for b in blocks("sh") if "db.counters" in b]
    python = re.search(r"\.venv/bin/python -c '(.*?)'", step, re.S).group(1)
    with pymongo.MongoClient(production_env["MONGODB_URI"]) as client:
        counters = client[production_env["MONGODB_NAME"]].counters
        counters.insert_many([{"_id": "BK", "value": 41}, {"_id": "EVT", "value": 7}])
        moved = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-c", python], env=production_env, capture_output=True, text=True, timeout=60
        )
        assert moved.returncode == 0, moved.stderr
        assert "2 counters moved on" in moved.stdout
        assert {c["_id"]: c["value"] for c in counters.find()} == {"BK": 100041, "EVT": 100007}


def test_the_licence_and_the_changelog_are_there():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "LICENSE-mongo-java-server.txt" in licence
    upstream = (ROOT / "devtools/mongo-server/patches/LICENSE-mongo-java-server.txt").read_text()
    assert "mongo-java-server" in upstream and "Redistribution and use" in upstream
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.findall(r"^## (Unreleased|\d{4}-\d{2}-\d{2})$", changelog, re.M)[:2] == ["Unreleased", "2026-12-01"]
