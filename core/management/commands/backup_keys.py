"""Make the operator's key pair for backups (docs/backup.md)."""

from django.core.management.base import BaseCommand

from core.backup import make_key_pair


class Command(BaseCommand):
    help = "Print a new key pair for backups: the public key for the servers, the private key for the operator."

    def handle(self, *args, **options):
        public, private = make_key_pair()
        self.stdout.write(f"HONGFAN_BACKUP_PUBLIC_KEY={public}")
        self.stdout.write(f"HONGFAN_BACKUP_PRIVATE_KEY={private}")
        self.stderr.write(
            "Put the public key in the servers' environment. Keep the private key away from them (a "
            "password manager, a safe): without it no backup can be restored, with it any can."
        )
