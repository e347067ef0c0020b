"""Make a ticket-signing key, and say how to rotate to it (docs/operations.md, "Ticket keys")."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tickets.keys import MAX_KEY_ID, keyring, new_key, public_entry


class Command(BaseCommand):
    help = "Print a new TICKET_SIGNING_KEY and the TICKET_VERIFY_KEYS that keep the codes signed so far valid."

    def add_arguments(self, parser):
        parser.add_argument("--id", type=int, help=f"Key id of the new key (1-{MAX_KEY_ID}); default: the highest in use + 1.")

    def handle(self, *args, **options):
        ring = keyring()
        kid = options["id"] or max(ring.public) + 1
        if not 1 <= kid <= MAX_KEY_ID or kid in ring.public:
            self.stderr.write(f"Key id {kid} is in use or out of range (1-{MAX_KEY_ID}).")
            raise SystemExit(2)
        private, _ = new_key(kid)
        keep = [public_entry(settings.TICKET_SIGNING_KEY), *settings.TICKET_VERIFY_KEYS]
        self.stdout.write(f"TICKET_SIGNING_KEY={private}\nTICKET_VERIFY_KEYS={','.join(keep)}\n")
