from django.conf import settings
from django.core.management.base import BaseCommand

from bookings.services import bookings_reconcile


class Command(BaseCommand):
    help = (
        "Settle interrupted bookings and cancellations (seat markers older than --older-than "
        "seconds), finish the cascades of cancelled events, forget expired idempotency keys."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.RECONCILE_AFTER_SECONDS,
            help="only markers at least this old (seconds; default RECONCILE_AFTER_SECONDS). "
            "0 when no server is running.",
        )

    def handle(self, *args, older_than, **options):
        done = bookings_reconcile(older_than_seconds=older_than)
        summary = ", ".join(f"{name}={count}" for name, count in sorted(done.items())) or "nothing to do"
        self.stdout.write(f"reconcile_bookings: {summary}")
