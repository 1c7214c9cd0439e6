"""Statistics reports in the background. Task names are those of their first home
(``portal.tasks``), so queued messages and django-celery-beat rows keep working.

Each task imports its work inside the function: the modules that enqueue a task import this one
(HackSoft's styleguide, "Celery": tasks are thin and call the services lazily).

A build is idempotent (one report per scope and period, replaced), so acks_late redelivery and
retries are safe. Transient failures (database, network) are retried with exponential backoff;
anything else fails the run at once with its error recorded. The time limits stay below the
broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), else Redis would hand a
still-running job to a second worker.
"""

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError


@shared_task(
    name="portal.tasks.build_stat_report",
    bind=True,
    autoretry_for=(OSError, DatabaseError),  # OSError covers connection errors to the database or Redis
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
    acks_late=True,
    soft_time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TASK_TIME_LIMIT,
)
def build_stat_report(self, run_id):
    """Build the statistics report of a StatReportRun (``reports.building.execute_run``)."""
    from .building import execute_run

    execute_run(run_id=run_id, task_id=self.request.id or "")


@shared_task(name="portal.tasks.build_periodic_reports", acks_late=True)
def build_periodic_reports(period_kind="month"):
    """From beat: one build per district and per park for the period of this kind just ended."""
    from .building import request_periodic_builds

    return len(request_periodic_builds(period_kind=period_kind))
