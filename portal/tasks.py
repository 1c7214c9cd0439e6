from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids):
    """E-mail each notification once: each is marked as it goes out, so a retry after a failure
    part-way sends only the rest."""
    from django.utils import timezone

    from .models import Notification

    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
    for notification in pending.select_related("recipient"):
        send_mail(
            subject=f"[{settings.PORTAL_NAME}] {notification.title}",
            message=f"{notification.body}\n\n{notification.url}".strip(),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
        Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())


@shared_task(acks_late=True)
def run_import_job(job_id):
    """Check or write an uploaded spreadsheet (``portal.imports.process_job``). Idempotent: a job
    already checked or written is left as it is, so a redelivered task changes nothing."""
    from .imports import process_job

    process_job(job_id=job_id)
