"""Exports too large for the request: an ``ExportJob`` written by a Celery task into the default
storage, its progress polled by its page, its file downloaded by its owner only and deleted after
``HONGFAN_EXPORT_KEEP_HOURS`` (docs/import-export.md, "Exports").

- ``sync_rows``: up to this many rows (``HONGFAN_EXPORT_SYNC_ROWS``) an export is streamed in the
  request (``dataio.exports``); above, the page offers to prepare the file in the background.
- ``start_export``: the job, enqueued once its transaction commits (in the embedded mode the task
  runs in-process at that moment).
- ``run_export``: what the task runs; idempotent (a job not waiting is left alone). The user's
  scope is applied again when the file is written, with the narrowing checked again.
- ``forget_expired``: deletes the files of jobs older than the keep time (beat, hourly, and each
  time someone starts an export).
"""

import datetime
import logging
import tempfile
import time

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from core import streaming
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
    )

    def send():
        from .tasks import run_export_job

        result = run_export_job.delay(job.pk)
        ExportJob.objects.filter(pk=job.pk, status__in=ExportJob.RUNNING_STATES).update(task_id=result.id or "")

    transaction.on_commit(send)
    return job


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


def run_export(*, job_id: int) -> ExportJob:
    """Write the job's file (the task). A job not waiting (done, failed, taken by another run) is
    left as it is."""
    taken = ExportJob.objects.filter(pk=job_id, status=STATUS.QUEUED).update(status=STATUS.RUNNING)
    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if not taken:
        return job
    cache = jobs._progress_cache()
    key = progress_key(job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.kind not in jobs.exportable_kinds(job.user):
                raise PermissionError(gettext("You may not export this kind of data."))
            source = streaming.ExportSource(kind=job.kind, user=job.user, queryset=_queryset_for(job))
            total = source.count()
            ExportJob.objects.filter(pk=job_id).update(progress_total=total)
            cache.set(key, (0, total), timeout=6 * 3600)
            last = [0.0]

            def progress(done):
                now = time.monotonic()
                if now - last[0] >= 0.5 or done >= total:
                    last[0] = now
                    cache.set(key, (done, max(done, total)), timeout=6 * 3600)

            stamp = timezone.localdate().isoformat()
            with tempfile.TemporaryFile() as handle:
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
            ExportJob.objects.filter(pk=job_id).update(
                status=STATUS.DONE,
                file=job.file.name,
                progress_done=done,
                progress_total=done,
                finished_at=timezone.now(),
            )
        except PermissionError as refused:
            _fail(job_id, str(refused))
        except Exception:
            logger.exception("export job %s failed", job_id)
            _fail(job_id, gettext("The export stopped on an unexpected error; try again."))
        finally:
            cache.delete(key)
    return ExportJob.objects.get(pk=job_id)


def _fail(job_id, message) -> None:
    ExportJob.objects.filter(pk=job_id).update(
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
