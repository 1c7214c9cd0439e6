from celery import shared_task

from .actions import expire_overdue_letters


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def expire_transfer_letters():
    """Daily (01:00 Asia/Shanghai, django-celery-beat): expire letters that ran out and notify both
    sides and the member. Idempotent: a second run the same day expires nothing."""

    return expire_overdue_letters()
