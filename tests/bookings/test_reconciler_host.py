"""One periodic reconciler per host: `make run` starts one beside its daphne
processes, and a second `reconcile_bookings --every` on the same DATA_DIR stands
by until the first is gone (a lock in DATA_DIR), then takes over."""

import time

import pytest

from tests.bookings.test_reconciler import leave_marker
from tests.helpers import assert_invariant, event_doc
from tests.servers import ReconcilerProcess

pytestmark = pytest.mark.slow


def wait_for(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what()
        time.sleep(0.1)


def test_a_second_reconciler_on_the_host_stands_by_and_takes_over_when_the_first_dies(tmp_path, create_event):
    env = {"DATA_DIR": str(tmp_path)}
    first = ReconcilerProcess(every=1, older_than=1, extra_env=env).start()
    second = None
    try:
        wait_for(lambda: "reconcile_bookings: every 1s" in first.output(), first.output)
        second = ReconcilerProcess(every=1, older_than=1, extra_env=env).start()
        wait_for(lambda: "standing by" in second.output(), second.output)
        assert f"(pid {first.proc.pid}); standing by" in second.output()

        event_id = create_event(publish=True, capacity=5, price="25.00")["id"]
        leave_marker(event_id, "BK-0042", 2)
        wait_for(lambda: not event_doc(event_id)["pending"], first.output)
        assert event_doc(event_id)["seats_available"] == 5
        wait_for(lambda: "restored=1" in first.output(), first.output)
        assert "restored" not in second.output() and "every 1s" not in second.output()

        first.proc.kill()  # no clean-up: the kernel drops the lock with it
        first.proc.wait(10)
        wait_for(lambda: "reconcile_bookings: every 1s" in second.output(), second.output)
        leave_marker(event_id, "BK-0043", 3)
        wait_for(lambda: not event_doc(event_id)["pending"], second.output)
        assert_invariant(event_id)
        assert "restored=1" in second.output()
    finally:
        first.stop()
        if second:
            second.stop()


def test_reconcilers_with_their_own_data_directories_both_run(tmp_path):
    one = ReconcilerProcess(every=1, extra_env={"DATA_DIR": str(tmp_path / "a")}).start()
    two = ReconcilerProcess(every=1, extra_env={"DATA_DIR": str(tmp_path / "b")}).start()
    try:
        for proc in (one, two):
            wait_for(lambda: "reconcile_bookings: every 1s" in proc.output(), proc.output)  # noqa: B023
    finally:
        one.stop()
        two.stop()
