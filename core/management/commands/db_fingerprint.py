"""Print the row count and SHA-256 of every table, as JSON (what `restore` compares)."""

import json

from django.core.management.base import BaseCommand

from core.backup import fingerprint


class Command(BaseCommand):
    help = "Print {table: {rows, sha256}} of every table of the database as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        self.stdout.write(json.dumps(fingerprint(database), indent=1, sort_keys=True))
