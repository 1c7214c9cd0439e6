"""Restore an encrypted backup into an empty database and storage, then check every table."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured (empty) database and storage, "
        "then compare the row count and hash of every table with the backup's."
    )

    def add_arguments(self, parser):
        parser.add_argument("input", help="the backup file")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--private-key-file",
            help="a file holding the private key (default: HONGFAN_BACKUP_PRIVATE_KEY from the environment)",
        )

    def handle(self, *args, input, database, private_key_file, **options):
        if private_key_file:
            private_key = Path(private_key_file).read_text().strip()
            private_key = private_key.removeprefix("HONGFAN_BACKUP_PRIVATE_KEY=")
        else:
            private_key = os.environ.get("HONGFAN_BACKUP_PRIVATE_KEY", "")
        if not private_key:
            raise CommandError("no private key: set HONGFAN_BACKUP_PRIVATE_KEY or pass --private-key-file")
        source = Path(input)
        if not source.is_file():
            raise CommandError(f"{source} does not exist")
        try:
            with source.open("rb") as handle:
                manifest = restore_backup(handle, private_key, alias=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"restored {source} (made {manifest['made_at']}): {len(manifest['tables'])} tables and "
            f"{rows} rows identical to the backup (count and SHA-256 of every table), {manifest['files']} files"
        )
