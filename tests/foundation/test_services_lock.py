"""A second `make run` / `make createstaff` on the same data directory says who holds it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_wrapper_on_the_same_data_directory_says_what_holds_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "REDIS_URL")}
    wrapper = [sys.executable, "devtools/services.py", "--mongo", "h2", "--data", str(tmp_path), "--"]
    first = subprocess.Popen(wrapper + ["sleep", "120"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert first.stdout.readline().startswith("==> Starting the local MongoDB-compatible server")
        assert "local MongoDB-compatible server (h2)" in first.stdout.readline()
        second = subprocess.run(wrapper + ["true"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode != 0
        output = (second.stdout + second.stderr).strip()
        assert len(output.splitlines()) == 1, output
        assert str(first.pid) in output and str(tmp_path) in output and "stop" in output, output
        assert "Exception" not in output and "locked" not in output.lower().replace("lock file", "")
    finally:
        first.kill()
        first.wait(30)
    # Once the first is gone, the directory is free again.
    third = subprocess.run(wrapper + ["true"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stdout + third.stderr
