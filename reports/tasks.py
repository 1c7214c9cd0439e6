"""Statistics reports in the background. Task names are those of their first home
(``portal.tasks``), so queued messages and django-celery-beat rows keep working.

A build is idempotent (one report per scope and period, replaced), so acks_late redelivery and
retries are safe. Transient failures (database, network) are retried with exponential backoff;
anything else fails the run at once with its error recorded. The time limits stay below the
broker's visibility timeout (settings.CELERY_BROKER_TRANSPORT_OPTIONS), else Redis would hand a
still-running job to a second worker.

A worker killed outright (SIGKILL, its machine lost) acknowledges nothing: Redis would hand its
message out again only after the visibility timeout (hours). So a running build refreshes its
run's heartbeat, and ``requeue_lost_report_runs`` (beat, every 20 seconds) queues again the runs
whose heartbeat is stale, a bounded number of times (``reports.building.requeue_lost_runs``).
When a prefork child dies, ``task_reject_on_worker_lost`` requeues its message at once and the
run is taken again by the same task id.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.validators import TEXT_LOG, fit_text

from .building import execute_run, periodic_runs, requeue_lost_runs
from .models import StatReportRun

logger = logging.getLogger(__name__)


@shared_task(
    name="portal.tasks.build_stat_report",
    bind=True,
    autoretry_for=(OSError, DatabaseError),  # OSError covers connection errors to the database or Redis
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.REPORT_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TASK_TIME_LIMIT,
)
def build_stat_report(self, run_id):
    """Build the statistics report of a StatReportRun (``reports.building.execute_run``)."""
    execute_run(run_id=run_id, task_id=self.request.id or "")


@shared_task(name="portal.tasks.build_periodic_reports", acks_late=True)
def build_periodic_reports(period_kind="month"):
    """From beat: one build per district and per park for the period of this kind just ended."""
    runs = periodic_runs(period_kind=period_kind)
    for run in runs:
        enqueue(run)
    return len(runs)


@shared_task(name="portal.tasks.requeue_lost_report_runs", ignore_result=True)
def requeue_lost_report_runs():
    """From beat, every 20 seconds: runs whose worker was killed are queued again (or given up)."""
    with transaction.atomic():
        requeued, failed = requeue_lost_runs()
        for run in requeued:
            enqueue(run)
    if requeued or failed:
        logger.warning(
            "statistics report runs lost with their worker: %s requeued, %s given up",
            [run.pk for run in requeued],
            [run.pk for run in failed],
        )
    return len(requeued)


def enqueue(run: StatReportRun) -> None:
    """Send the run's build to the workers once the current transaction commits."""
    transaction.on_commit(lambda: _send(run.pk, run.task_id))


def _send(run_id: int, task_id: str) -> None:
    try:
        build_stat_report.apply_async(args=[run_id], task_id=task_id)
    except Exception as exc:  # noqa: BLE001 - the run must say why it never ran
        # Eagerly (no broker) the task has recorded its own failure already; with a broker this is
        # the broker being unreachable.
        logger.exception("could not enqueue statistics report run %s", run_id)
        StatReportRun.objects.filter(pk=run_id, status=StatReportRun.Status.QUEUED).update(
            status=StatReportRun.Status.FAILED,
            finished_at=timezone.now(),
            error=fit_text(f"{type(exc).__name__}: {exc}", TEXT_LOG),
        )
