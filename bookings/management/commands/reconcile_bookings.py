import fcntl
import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.services.reconcile import bookings_reconcile, bookings_reconcile_every, counters_check
from eventbooking.startup import wait_for_migrations


class Command(BaseCommand):
    help = (
        "Settle interrupted bookings and cancellations (seat markers older than --older-than "
        "seconds), finish the cascades of cancelled events, forget expired idempotency keys; "
        "first, move every id counter past the ids in use. "
        "Once, or with --every, as a process of its own that runs until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.RECONCILE_AFTER_SECONDS,
            help="only markers at least this old (seconds; default RECONCILE_AFTER_SECONDS). "
            "0 when no server is running.",
        )
        parser.add_argument(
            "--every",
            type=int,
            nargs="?",
            const=settings.RECONCILE_INTERVAL_SECONDS,
            metavar="SECONDS",
            help="run again every SECONDS (default RECONCILE_INTERVAL_SECONDS) until stopped "
            "(SIGTERM or Ctrl-C); what `make run` starts beside daphne.",
        )

    def say(self, line):
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, older_than, every, **options):
        if every is None:
            done = {**counters_check(), **bookings_reconcile(older_than_seconds=older_than)}
            self.stdout.write(f"reconcile_bookings: {self.summary(done)}")
            return
        if every <= 0:
            # RECONCILE_INTERVAL_SECONDS=0 turns the periodic reconciler off.
            self.stdout.write("reconcile_bookings: not repeating (--every 0)")
            return
        try:
            lock = self.host_turn(every)  # noqa: F841 - held until this process exits
            wait_for_migrations(waiting=lambda: self.say("reconcile_bookings: waiting for the database's migrations (manage.py migrate)"))
            self.stdout.write(f"reconcile_bookings: every {every}s, markers older than {older_than}s")
            self.stdout.flush()
            bookings_reconcile_every(every, older_than_seconds=older_than, report=self.report)
        except KeyboardInterrupt:
            pass

    def host_turn(self, every):
        """One periodic reconciler per host (per DATA_DIR): hold DATA_DIR/reconciler.lock
        for this process's life; while another process holds it, stand by and take
        over when it goes (the kernel drops a lock with its holder, even a killed one)."""
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        lock = open(settings.DATA_DIR / "reconciler.lock", "a+")
        announced = False
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not announced:
                    lock.seek(0)
                    holder = lock.read().strip() or "unknown"
                    self.stdout.write(
                        f"reconcile_bookings: another reconciler runs on this host (pid {holder}); standing by"
                    )
                    self.stdout.flush()
                    announced = True
                time.sleep(min(every, 1))
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        return lock

    def report(self, done):
        self.stdout.write(f"reconcile_bookings: {self.summary(done)}")
        self.stdout.flush()

    @staticmethod
    def summary(done):
        return ", ".join(f"{name}={count}" for name, count in sorted(done.items())) or "nothing to do"
