"""Celery tasks of the activities app: thin wrappers around actions and summaries."""

from celery import shared_task

from .summaries import refresh


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=3, acks_late=True)
def refresh_statistics_summaries(organization_ids=None, months=None):
    """Rebuild the OrganizationMonth summary (all of it by default; nightly at 02:30 Beijing time,
    before the statistics reports). Idempotent, so a retry or a duplicate run does no harm."""
    import datetime

    months = [datetime.date.fromisoformat(m) for m in months] if months else None
    return refresh(organization_ids=organization_ids, months=months)
