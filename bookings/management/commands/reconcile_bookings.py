from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.services.reconcile import bookings_reconcile, bookings_reconcile_every


class Command(BaseCommand):
    help = (
        "Settle interrupted bookings and cancellations (seat markers older than --older-than "
        "seconds), finish the cascades of cancelled events, forget expired idempotency keys. "
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

    def handle(self, *args, older_than, every, **options):
        if every is None:
            self.stdout.write(f"reconcile_bookings: {self.summary(bookings_reconcile(older_than_seconds=older_than))}")
            return
        if every <= 0:
            # RECONCILE_INTERVAL_SECONDS=0 turns the periodic reconciler off.
            self.stdout.write("reconcile_bookings: not repeating (--every 0)")
            return
        self.stdout.write(f"reconcile_bookings: every {every}s, markers older than {older_than}s")
        self.stdout.flush()
        try:
            bookings_reconcile_every(every, older_than_seconds=older_than, report=self.report)
        except KeyboardInterrupt:
            pass

    def report(self, done):
        self.stdout.write(f"reconcile_bookings: {self.summary(done)}")
        self.stdout.flush()

    @staticmethod
    def summary(done):
        return ", ".join(f"{name}={count}" for name, count in sorted(done.items())) or "nothing to do"
