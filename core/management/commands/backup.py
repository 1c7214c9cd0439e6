"""Write an encrypted backup of the database and the stored files (docs/backup.md)."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, make_backup


class Command(BaseCommand):
    help = "Back up the database and every stored file into one file encrypted to HONGFAN_BACKUP_PUBLIC_KEY."

    def add_arguments(self, parser):
        parser.add_argument("output", help="the backup file to write (refused if it exists)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, output, database, **options):
        public_key = os.environ.get("HONGFAN_BACKUP_PUBLIC_KEY", "")
        if not public_key:
            raise CommandError("HONGFAN_BACKUP_PUBLIC_KEY is not set: make a key pair with `manage.py backup_keys`")
        target = Path(output)
        if target.exists():
            raise CommandError(f"{target} exists: a backup never overwrites another")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("wb") as handle:
                manifest = make_backup(handle, public_key, alias=database)
            partial.rename(target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            partial.unlink(missing_ok=True)
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            f"{target}: {len(manifest['tables'])} tables, {rows} rows, {manifest['files']} files "
            f"({manifest['database']}), {target.stat().st_size} bytes"
        )
