"""Periodic work of the foundation (django-celery-beat schedules: core migrations)."""

from celery import shared_task

from . import audit


@shared_task(name="core.tasks.purge_sensitive_reads")
def purge_sensitive_reads() -> int:
    """Delete the sensitive-read audit rows older than HONGFAN_AUDIT_RETENTION_DAYS."""
    return audit.purge()
