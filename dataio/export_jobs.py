"""Exports too large for the request: an ``ExportJob`` written by a Celery task into the default
storage, its progress polled by its page, its file downloaded by its owner only and deleted after
``HONGFAN_EXPORT_KEEP_HOURS`` (docs/import-export.md, "Exports").

- ``sync_rows``: up to this many rows (``HONGFAN_EXPORT_SYNC_ROWS``) an export is streamed in the
  request (``dataio.exports``); above, the page offers to prepare the file in the background.
- ``start_export``: the job, enqueued once its transaction commits (in the embedded mode the task
  runs in-process at that moment).
- ``run_export``: what the task runs; idempotent (a job written, failed or being written by a
  live worker is left alone). The user's scope is applied again when the file is written, with
  the narrowing checked again. While it writes, the job's heartbeat is refreshed
  (``core.heartbeat``).
- ``requeue_lost_exports``: the sweep (beat, every 20 seconds): a job "being written" with no sign
  of life for ``HONGFAN_JOB_STALE_SECONDS`` lost its worker (killed, its machine gone) and is
  queued again, or failed with a message after ``HONGFAN_JOB_MAX_ATTEMPTS`` starts.
- ``forget_expired``: deletes the files of jobs older than the keep time (beat, hourly, and each
  time someone starts an export).
"""

import datetime
import logging
import tempfile
import time
import uuid

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from core import heartbeat, streaming
from core.validators import TEXT_LOG, fit_text

from . import jobs
from .models import ExportJob

logger = logging.getLogger(__name__)
STATUS = ExportJob.Status


def sync_rows() -> int:
    return int(getattr(settings, "HONGFAN_EXPORT_SYNC_ROWS", 20000))


def keep_hours() -> float:
    return float(getattr(settings, "HONGFAN_EXPORT_KEEP_HOURS", 24))


def jobs_for(user, *, limit=10):
    return ExportJob.objects.owned_by(user)[:limit]


def job_for(user, pk) -> ExportJob:
    """The user's job ``pk``; ``ExportJob.DoesNotExist`` for anyone else's (a 404 for the pages)."""
    return ExportJob.objects.owned_by(user).get(pk=pk)


def progress_key(job_id) -> str:
    return f"hongfan:export-progress:{job_id}"


def job_progress(job) -> tuple[int, int]:
    live = jobs._progress_cache().get(progress_key(job.pk))
    if live and job.is_running:
        return tuple(live)
    return job.progress_done, job.progress_total


def params_of(cleaned: dict) -> dict:
    """The export form's narrowing as JSON (ids and the period)."""
    return {
        "org": cleaned["org"].pk if cleaned.get("org") else None,
        "activity": cleaned["activity"].pk if cleaned.get("activity") else None,
        "period": cleaned.get("period") or "",
    }


def start_export(*, user, kind: str, file_format: str, params: dict, total: int) -> ExportJob:
    """A job for an export the export page has checked (kind, format and narrowing in scope)."""
    forget_expired()
    job = ExportJob.objects.create(
        user=user,
        kind=kind,
        file_format=file_format,
        params=params,
        progress_total=total,
        language=translation.get_language() or "",
        task_id=str(uuid.uuid4()),
    )
    enqueue(job)
    return job


def enqueue(job: ExportJob) -> None:
    """Send the job to the workers once the current transaction commits (in the embedded mode the
    task runs in-process at that moment)."""
    transaction.on_commit(lambda: _send(job.pk, job.task_id, job.language))


def _send(job_id: int, task_id: str, language: str) -> None:
    from .tasks import run_export_job

    try:
        run_export_job.apply_async(args=[job_id], task_id=task_id)
    except Exception:  # noqa: BLE001 - the job must say why it never ran
        # Eagerly (no broker) the task has recorded its own failure already; with a broker this is
        # the broker being unreachable.
        logger.exception("could not enqueue export job %s", job_id)
        with translation.override(language or settings.LANGUAGE_CODE):
            message = gettext("The export could not be handed to a worker; try again in a moment.")
        ExportJob.objects.filter(pk=job_id, status=STATUS.QUEUED).update(
            status=STATUS.FAILED, error=fit_text(message, TEXT_LOG), finished_at=timezone.now()
        )


def _queryset_for(job):
    """The job's rows as the export page would narrow them, for its owner now."""
    from .exports import ExportForm

    form = ExportForm({key: value or "" for key, value in job.params.items()}, user=job.user)
    if not form.is_valid():  # the organisation or activity left the owner's scope since
        raise PermissionError(gettext("The organisation or activity of this export is no longer yours to export."))
    return jobs.export_queryset(
        kind=job.kind,
        user=job.user,
        organization=form.cleaned_data["org"],
        activity=form.cleaned_data["activity"],
        period=form.cleaned_data["period"],
    )


def _takeable(job_id: int, task_id: str, now) -> Q:
    """The jobs a worker may start: waiting, or being written but lost (no sign of life for
    ``HONGFAN_JOB_STALE_SECONDS``, or the very message delivered again after its worker process
    died), and not out of attempts. A job written, failed or expired is never taken again."""
    lost = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - heartbeat.stale_after())
    if task_id:
        lost |= Q(task_id=task_id)
    return Q(pk=job_id, attempts__lt=heartbeat.max_attempts()) & (
        Q(status=STATUS.QUEUED) | (Q(status=STATUS.RUNNING) & lost)
    )


def run_export(*, job_id: int, task_id: str = "") -> ExportJob:
    """Write the job's file (the task). The job is taken with one conditional UPDATE
    (``_takeable``), so a message delivered twice writes once; a job written, failed or being
    written by a live worker is left as it is. Only the worker that took the job last records its
    file: one that took it before, and was thought lost, deletes the file it wrote."""
    now = timezone.now()
    taken = ExportJob.objects.filter(_takeable(job_id, task_id, now)).update(
        status=STATUS.RUNNING,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        error="",
        **({"task_id": task_id} if task_id else {}),
    )
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not taken:
        return job
    mine = Q(pk=job_id, status=STATUS.RUNNING, attempts=job.attempts)  # still this worker's to finish
    cache = jobs._progress_cache()
    key = progress_key(job_id)

    def beat():
        ExportJob.objects.filter(mine).update(heartbeat_at=timezone.now())

    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.kind not in jobs.exportable_kinds(job.user):
                raise PermissionError(gettext("You may not export this kind of data."))
            source = streaming.ExportSource(kind=job.kind, user=job.user, queryset=_queryset_for(job))
            total = source.count()
            ExportJob.objects.filter(mine).update(progress_total=total)
            cache.set(key, (0, total), timeout=6 * 3600)
            last = [0.0]

            def progress(done):
                now = time.monotonic()
                if now - last[0] >= 0.5 or done >= total:
                    last[0] = now
                    cache.set(key, (done, max(done, total)), timeout=6 * 3600)

            stamp = timezone.localdate().isoformat()
            with heartbeat.beating(beat), tempfile.TemporaryFile() as handle:
                streaming.write_export(
                    source.headers,
                    source.rows(),
                    job.file_format,
                    handle,
                    sheet_title=source.sheet_title,
                    progress=progress,
                )
                handle.seek(0)
                job.file.save(f"{job.kind}-{stamp}.{job.file_format}", File(handle), save=False)
            done = cache.get(key, (total, total))[0]
            recorded = ExportJob.objects.filter(mine).update(
                status=STATUS.DONE,
                file=job.file.name,
                progress_done=done,
                progress_total=done,
                finished_at=timezone.now(),
            )
            if not recorded:  # taken over by another worker meanwhile: its file is the job's
                job.file.delete(save=False)
        except PermissionError as refused:
            _fail(mine, str(refused))
        except Exception:
            logger.exception("export job %s failed", job_id)
            _fail(mine, gettext("The export stopped on an unexpected error; try again."))
        finally:
            cache.delete(key)
    return ExportJob.objects.get(pk=job_id)


def requeue_lost_exports(*, now=None) -> tuple[list[ExportJob], list[ExportJob]]:
    """The sweep (``dataio.tasks.requeue_lost_export_jobs``, from beat): a job still "being
    written" with no sign of life for ``HONGFAN_JOB_STALE_SECONDS`` lost its worker. It is queued
    again under a new task id, or failed with a message once it has been taken up
    ``HONGFAN_JOB_MAX_ATTEMPTS`` times. Returns (requeued, failed); the caller enqueues the
    requeued jobs once the transaction commits.

    The rows are locked and those another sweep holds are skipped, so two sweeps never requeue one
    job twice; ``_takeable`` then lets one worker take it."""
    now = now or timezone.now()
    requeued, failed = [], []
    with transaction.atomic():
        lost = (
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(status=STATUS.RUNNING)
            .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - heartbeat.stale_after()))
            .order_by("pk")
        )
        for job in lost:
            if job.attempts >= heartbeat.max_attempts():
                with translation.override(job.language or settings.LANGUAGE_CODE):
                    message = gettext("The worker writing this export stopped %(count)s times; try again.") % {
                        "count": job.attempts
                    }
                job.status, job.error, job.finished_at = STATUS.FAILED, fit_text(message, TEXT_LOG), now
                job.save(update_fields=["status", "error", "finished_at"])
                failed.append(job)
            else:
                job.status, job.heartbeat_at, job.task_id = STATUS.QUEUED, None, str(uuid.uuid4())
                job.save(update_fields=["status", "heartbeat_at", "task_id"])
                requeued.append(job)
    return requeued, failed


def _fail(job: Q, message) -> None:
    """Fail the job, if it is still the calling worker's (``job``: its row as that worker took it)."""
    ExportJob.objects.filter(job).update(
        status=STATUS.FAILED, error=fit_text(message, TEXT_LOG), finished_at=timezone.now()
    )


def forget_expired(*, now=None) -> int:
    """Delete the files of export jobs requested more than ``HONGFAN_EXPORT_KEEP_HOURS`` ago (they
    hold personal data); the jobs stay, marked expired. A job still waiting after so long lost its
    message and is failed. Returns the number of jobs expired."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=keep_hours())
    stale = ExportJob.objects.filter(created_at__lt=cutoff).exclude(status__in=(STATUS.EXPIRED, STATUS.FAILED))
    count = 0
    for job in stale.only("pk", "file", "status"):
        if job.file:
            job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(
            file="", status=STATUS.FAILED if job.is_running else STATUS.EXPIRED, finished_at=timezone.now()
        )
        count += 1
    return count
