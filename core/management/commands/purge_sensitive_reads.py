"""``manage.py purge_sensitive_reads``: delete the audit rows older than HONGFAN_AUDIT_RETENTION_DAYS
(the only way a row of the sensitive-read audit is deleted; also a nightly beat task)."""

from django.core.management.base import BaseCommand

from core import audit


class Command(BaseCommand):
    help = "Delete sensitive-read audit rows older than HONGFAN_AUDIT_RETENTION_DAYS."

    def handle(self, *args, **options):
        deleted = audit.purge()
        self.stdout.write(f"{deleted} audit rows older than {audit.retention_days()} days deleted")
