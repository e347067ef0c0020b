from django.conf import settings
from django.core.management.base import BaseCommand

from eventbooking.startup import wait_for_migrations

from webhooks.worker import deliver_due, enqueue, run_every


class Command(BaseCommand):
    help = (
        "Turn organizers' notices into webhook deliveries and send them (signed, retried with "
        "back-off). Once, or with --every, as a process of its own that runs until stopped; "
        "several may run at once, on several hosts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            nargs="?",
            const=settings.WEBHOOK_POLL_SECONDS,
            metavar="SECONDS",
            help="run again every SECONDS (default WEBHOOK_POLL_SECONDS) until stopped; what `make run` starts.",
        )

    def waiting(self):
        self.stdout.write("deliver_webhooks: waiting for the database's migrations (manage.py migrate)")
        self.stdout.flush()

    def handle(self, *args, every, **options):
        if every is None:
            made = enqueue()
            sent = deliver_due("once")
            self.stdout.write(f"deliver_webhooks: {made} deliveries made, {sent} sent")
            return
        self.stdout.write(f"deliver_webhooks: every {every}s, {settings.WEBHOOK_CONCURRENCY} at once")
        self.stdout.flush()
        try:
            wait_for_migrations(waiting=self.waiting)
            run_every(every)
        except KeyboardInterrupt:
            pass

