"""Import and export jobs in the background. The import tasks keep the names of their first home
(``portal.tasks``), so queued messages and django-celery-beat rows keep working."""

import logging

from celery import shared_task
from django.db import transaction

from .jobs import forget_stale_files, process_job, requeue_lost_jobs

logger = logging.getLogger(__name__)


@shared_task(name="portal.tasks.run_import_job", acks_late=True, reject_on_worker_lost=True)
def run_import_job(job_id):
    """Check or write an uploaded spreadsheet (``dataio.jobs.process_job``). Idempotent: a job
    already checked or written is left as it is, so a redelivered task changes nothing."""
    process_job(job_id=job_id)


@shared_task(name="portal.tasks.forget_stale_import_files", acks_late=True)
def forget_stale_import_files():
    """From beat, daily: delete the spreadsheets of imports left unconfirmed (``dataio.jobs``)."""
    return forget_stale_files()


@shared_task(name="portal.tasks.requeue_lost_import_jobs", ignore_result=True)
def requeue_lost_import_jobs():
    """From beat, every 20 seconds: jobs whose worker was killed are handed out again (or failed)
    (``dataio.jobs.requeue_lost_jobs``)."""
    with transaction.atomic():
        job_ids = requeue_lost_jobs()
        for job_id in job_ids:
            transaction.on_commit(lambda job_id=job_id: run_import_job.delay(job_id))
    return len(job_ids)


@shared_task(name="dataio.tasks.run_export_job", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_export_job(self, job_id):
    """Write a large export's file (``dataio.export_jobs.run_export``). Idempotent: a job written,
    failed, or being written by a live worker is left as it is; the same message delivered again
    after its worker process died takes the job up again."""
    from .export_jobs import run_export

    run_export(job_id=job_id, task_id=self.request.id or "")


@shared_task(name="dataio.tasks.requeue_lost_export_jobs", ignore_result=True)
def requeue_lost_export_jobs():
    """From beat, every 20 seconds: exports whose worker was killed are queued again (or failed)
    (``dataio.export_jobs.requeue_lost_exports``)."""
    from .export_jobs import enqueue, requeue_lost_exports

    with transaction.atomic():
        requeued, failed = requeue_lost_exports()
        for job in requeued:
            enqueue(job)
    if requeued or failed:
        logger.warning(
            "export jobs lost with their worker: %s queued again, %s given up",
            [job.pk for job in requeued],
            [job.pk for job in failed],
        )
    return len(requeued)


@shared_task(name="dataio.tasks.forget_expired_exports", ignore_result=True)
def forget_expired_exports():
    """From beat, hourly: delete the files of exports older than ``HONGFAN_EXPORT_KEEP_HOURS``."""
    from .export_jobs import forget_expired

    return forget_expired()
