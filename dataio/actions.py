"""Writes of imports: an upload becomes a job and is checked; a checked job is confirmed and written.

Small files are checked and written in the request; larger ones by the Celery task
(``dataio.tasks.run_import_job``), enqueued once the job's transaction commits. The work itself
is ``dataio.jobs.process_job``.
"""

from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.transitions import transition

from .jobs import FILE_FORMATS, importable_kinds, inline_max_bytes, max_upload_bytes, process_job
from .models import IMPORT_STEPS, ImportJob
from .tasks import run_import_job


def _check_upload(*, user, kind: str, file, filename: str) -> None:
    errors = {}
    if kind not in importable_kinds(user):
        errors["kind"] = ValidationError(_("You may not import this kind of data."), code="kind")
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    if suffix not in FILE_FORMATS:
        errors["file"] = ValidationError(_("Upload an Excel (.xlsx) or CSV (.csv) file."), code="format")
    elif file.size > max_upload_bytes():
        errors["file"] = ValidationError(
            _("The file is larger than %(size)s MB."),
            code="size",
            params={"size": round(max_upload_bytes() / 1024 / 1024, 1)},
        )
    elif not file.size:
        errors["file"] = ValidationError(_("The file is empty."), code="empty")
    if errors:
        raise ValidationError(errors)


def start_import(*, user, kind: str, file, filename: str) -> ImportJob:
    """Store an upload as a job and check it: at once for a small file, by the task for a large one.

    Refuses (ValidationError keyed by field) a kind the user may not import, a file that is not
    xlsx or csv, and one over the size cap. A job whose file the engine refuses as a whole comes
    back with status ``refused`` and the reason in ``error``; nothing is written either way.
    """
    _check_upload(user=user, kind=kind, file=file, filename=filename)
    name = PurePosixPath(filename).name[:200]
    with transaction.atomic():
        job = ImportJob(user=user, kind=kind, filename=name, language=translation.get_language() or "")
        job.file.save(f"{kind}{PurePosixPath(name).suffix.lower()}", file, save=False)
        job.progress_total = 0
        job.save()
        if job.file.size > inline_max_bytes():
            _enqueue(job)
            return job
    return process_job(job_id=job.pk)


def confirm_import(*, job: ImportJob, user) -> ImportJob:
    """Write a checked job: a second run of the engine, not a dry one.

    Only its uploader confirms, only once, and only a job whose check found rows and no error;
    otherwise ValidationError. The data may have changed since the check: the write run then finds
    the errors, writes nothing, and the job shows them as a new check.
    """

    def guard(locked):
        if locked.user_id != user.pk:
            raise ValidationError(_("Only the person who uploaded the file confirms it."), code="owner")

    def check(locked):
        if not locked.file:
            raise ValidationError(_("The file is no longer kept; upload it again."), code="gone")
        if not locked.may_confirm:
            raise ValidationError(_("The file has errors; nothing will be written."), code="errors")
        if locked.kind not in importable_kinds(user):
            raise ValidationError(_("You may not import this kind of data."), code="kind")

    with transaction.atomic():
        locked = transition(
            job,
            IMPORT_STEPS["confirm"],
            guard=guard,
            check=check,
            changes=lambda locked: {
                "confirmed_at": timezone.now(),
                "progress_done": 0,
                "error": "",
                "heartbeat_at": None,
            },
        ).obj
        if locked.file and locked.file.size > inline_max_bytes():
            _enqueue(locked)
            return locked
    return process_job(job_id=locked.pk)


def _enqueue(job: ImportJob) -> None:

    def send():
        result = run_import_job.delay(job.pk)
        # In the embedded mode the task has already run; only record the id of a queued one.
        ImportJob.objects.filter(pk=job.pk).exclude(task_id=result.id).update(task_id=result.id or "")

    transaction.on_commit(send)
