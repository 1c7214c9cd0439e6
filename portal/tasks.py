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


# Statistics reports. A build is idempotent (one report per scope and period, replaced), so
# acks_late redelivery and retries are safe. Transient failures (database, network) are retried
# with exponential backoff; anything else fails the run at once with its error recorded. The time
# limits stay below the broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS),
# else Redis would hand a still-running job to a second worker.
def _report_retry_on():
    from django.db import DatabaseError

    return (OSError, DatabaseError)  # OSError covers connection errors to the database or Redis


@shared_task(
    bind=True,
    autoretry_for=_report_retry_on(),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TASK_TIME_LIMIT,
)
def build_stat_report(self, run_id):
    """Build the statistics report of a StatReportRun (portal.reports.execute_run)."""
    from .reports import execute_run

    execute_run(run_id=run_id, task_id=self.request.id or "")


@shared_task(acks_late=True)
def build_periodic_reports(period_kind="month"):
    """From beat: one build per district and per park for the period of this kind just ended."""
    from .reports import request_periodic_builds

    return len(request_periodic_builds(period_kind=period_kind))


@shared_task(acks_late=True)
def forget_stale_import_files():
    """From beat, daily: delete the spreadsheets of imports left unconfirmed (``portal.imports``)."""
    from .imports import forget_stale_files

    return forget_stale_files()
