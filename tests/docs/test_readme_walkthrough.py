"""The README's walk-through and docs/api.md's examples, run as written: `make run`
serves a database of its own, so the ids they show (EVT-0001, BK-0001) are exact;
their `sh` blocks go to one bash against it, and every answer their comments
promise is checked.

A comment `# 201 {"id": "EVT-0001", ...}` under a curl command says what that
command answers: the status, and key/value pairs found in the JSON body (a
string with "..." in it is a placeholder). A curl
command without such a comment must answer 2xx; in the README such a command
also shows its status after the body, on a line of its own (`-w`). A comment
holding `prints "..."` is a line the walk-through's background listener must print.
Statuses and outputs are recorded by a `curl` placed first on PATH, which runs
the real curl and passes its output through unchanged."""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pymongo
import pytest
from django.db import connection

from devtools.services import free_port

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## The whole story in curl"
CURL = re.compile(r"(?<![\w.$/-])curl\s")
EXPECTED = re.compile(r"^#\s+(\d{3})\b(.*)$")
PRINTS = re.compile(r'prints "([^"]+)"')
PAIR = re.compile(r'"(\w+)":\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')

pytestmark = pytest.mark.slow
# `make run`'s own defaults: no Redis (REDIS_URL comes from `make test`), and not a
# make inside the outer make.
DROPPED_ENV = {"REDIS_URL", "REALTIME_REDIS_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "EVENTBOOKING_LOCAL_MONGO"}

CURL_SHIM = """#!/bin/bash
# Runs the real curl; records its status (from the headers) and its output for the
# test; output unchanged.
headers=$(mktemp)
out=$(mktemp)
"$REAL_CURL" -D "$headers" "$@" > "$out"
rc=$?
cat "$out"
status=$(awk '/^HTTP\\//{code=$2} END{print code}' "$headers")
printf '%s %s\\n' "$status" "$(base64 -w0 < "$out")" >> "$CURL_LOG"
rm -f "$headers" "$out"
exit $rc
"""


def sh_blocks(text):
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def readme_walkthrough():
    """The README's walk-through section's `sh` blocks."""
    text = (ROOT / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return "\n".join(sh_blocks(text[start : end if end != -1 else None]))


def walkthrough():
    """The README's walk-through, then docs/api.md's `sh` blocks, which continue it
    in the same shell: one script."""
    readme = readme_walkthrough()
    api = sh_blocks((ROOT / "docs" / "api.md").read_text())
    assert readme and api, "the walk-through or docs/api.md lost its ```sh blocks"
    return "\n".join([readme] + api)


def expectations(script):
    """(calls, expected, prints): the number of curl commands, {index: (status, pairs)}, printed lines."""
    calls, expected, prints = 0, {}, []
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            prints += PRINTS.findall(stripped)
            match = EXPECTED.match(stripped)
            if match:
                assert calls, f"an expected answer before any curl command: {stripped}"
                pairs = [(key, json.loads(value)) for key, value in PAIR.findall(match.group(2))]
                # "6b06..." and "eyJ..." stand for values that differ on every run.
                pairs = [(key, value) for key, value in pairs if not (isinstance(value, str) and "..." in value)]
                expected[calls - 1] = (int(match.group(1)), pairs)
        else:
            calls += len(CURL.findall(line))
    return calls, expected, prints


def dicts(value):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from dicts(item)
    elif isinstance(value, list):
        for item in value:
            yield from dicts(item)


@pytest.fixture
def make_run():
    """`make run`, as the README says, on a free port and a database of its own
    (on the test run's MongoDB server), with `make run`'s defaults otherwise: no
    Redis. The database is dropped after."""
    name = f"walkthrough_{uuid.uuid4().hex[:12]}"
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
    env.update(MONGODB_URI=connection.settings_dict["HOST"], MONGODB_NAME=name, PORT=str(port), HOST="127.0.0.1")
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def output():
        log.seek(0)
        return log.read()[-5000:]

    try:
        deadline = time.monotonic() + 300
        while True:
            assert proc.poll() is None, f"make run exited with {proc.returncode}:\n{output()}"
            assert time.monotonic() < deadline, f"make run did not answer /health:\n{output()}"
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url, output
    finally:
        stop_group(proc)
        with pymongo.MongoClient(env["MONGODB_URI"]) as client:
            client.drop_database(name)


def stop_group(proc):
    """SIGTERM to everything `make run` started (as Ctrl-C would), then SIGKILL."""
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


def test_the_readme_walkthrough_and_the_api_examples_run_as_written(make_run, tmp_path):
    url, server_output = make_run
    script = walkthrough()
    calls, expected, prints = expectations(script)
    assert calls >= 30 and len(expected) >= 25 and prints, "the walk-through lost its commands or comments"

    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "curl").write_text(CURL_SHIM)
    (shim / "curl").chmod(0o755)
    log = tmp_path / "curl.log"
    # Unbuffered, the listener's print() is several writes, which curl's output can split.
    env = dict(
        {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"},
        API=url,
        PATH=f"{shim}:{os.environ['PATH']}",
        REAL_CURL=shutil.which("curl"),
        CURL_LOG=str(log),
    )
    proc = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        pytest.fail(f"the walk-through did not finish in 120 s:\n{output}\n{server_output()}")
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # a listener left behind by a failed run
        except ProcessLookupError:
            pass

    answers = []
    for line in log.read_text().splitlines():
        status, _, body = line.partition(" ")
        answers.append((int(status), base64.b64decode(body).decode()))
    assert len(answers) == calls, f"{len(answers)} curl answers for {calls} curl commands:\n{output}"
    readme_calls, readme_expected, _ = expectations(readme_walkthrough())
    for index, (status, shown) in enumerate(answers):
        # The README's commented commands print the status after the body (`-w`).
        trailer = f"\n{status}\n"
        if index < readme_calls and index in readme_expected:
            assert shown.endswith(trailer) and not shown.endswith("\n" + trailer), (
                f"README curl command {index + 1} does not show its status on a line after the body: {shown!r}"
            )
        body = shown[: -len(trailer)] if shown.endswith(trailer) else shown
        want_status, pairs = expected.get(index, (None, []))
        if want_status is None:
            assert 200 <= status < 300, f"curl command {index + 1} answered {status}: {body}\n{output}"
            continue
        assert status == want_status, f"curl command {index + 1}: {status}, the README says {want_status}: {body}"
        found = list(dicts(json.loads(body)))
        for key, value in pairs:
            assert any(key in d and d[key] == value for d in found), (
                f"curl command {index + 1}: no {key!r}: {value!r} in {body}"
            )
    for line in prints:
        assert line in output, f"the listener did not print {line!r}:\n{output}"


def test_the_expectations_are_read_from_the_comments():
    calls, expected, prints = expectations(
        'X=$(curl -s $API/a | json)\ncurl -s $API/b\n# 409 {"error": {"code": "sold_out", "n": 2}}\n'
        'curl -s $API/c  # prints "hello there"\n'
    )
    assert calls == 3
    assert expected == {1: (409, [("code", "sold_out"), ("n", 2)])}
    assert prints == []  # only whole comment lines count
