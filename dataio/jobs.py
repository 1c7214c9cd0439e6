"""Imports by page: an uploaded spreadsheet becomes an ``ImportJob``, is checked (a dry run of
``core.importing.run_import``), shown row by row, and written only when its uploader confirms.

The rules live here; the pages (``portal.views_imports``), the Celery task
(``portal.tasks.run_import_job``) and the admin only call these functions.

- Who may import what: park administrators every kind for their parks, secretaries members,
  attendance and dues for their organisations (``importable_kinds``). The engine checks every
  foreign key against the uploader's scope.
- A job belongs to its uploader; nobody else reaches it (``job_for``).
- Small files are processed in the request; larger ones (``IMPORT_INLINE_MAX_BYTES``) by the task,
  enqueued after the transaction commits, with their progress in the cache for the page to poll.
- A job's status and its data are written in one transaction, so a task that runs twice (late
  acknowledgement after a lost worker) finds the job already written and does nothing.
"""

import logging
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.models import Attendance
from activities.selectors import parse_period
from core import heartbeat, importing, tabular
from core.periods import day_start
from core.tabular import ImportRefused
from core.validators import PHONE_RE, TEXT_LOG, fit_text, mask_id_number, mask_phone
from members.models import DuesPayment, Member
from parks.models import Enterprise, Organization

from .models import IMPORT_STEPS, ImportJob, ImportKind, ImportRow

logger = logging.getLogger(__name__)

ALL_KINDS = [kind.value for kind in ImportKind]
FILE_FORMATS = ("xlsx", "csv")
STATUS = ImportJob.Status
ID_SHAPE_RE = re.compile(r"^\d{17}[\dXx]$")


def inline_max_bytes() -> int:
    """Files up to this size are checked and written in the request; larger ones by a Celery task."""
    return getattr(settings, "IMPORT_INLINE_MAX_BYTES", 200 * 1024)


def max_upload_bytes() -> int:
    """The upload cap, the engine's (``HONGFAN_IMPORT_MAX_BYTES``)."""
    return tabular.max_bytes()


# --- Selectors ----------------------------------------------------------------------------------


def importable_kinds(user) -> list[str]:
    """The kinds ``user`` may import (``core.importing.importable_kinds``), in the pages' order."""
    allowed = set(importing.importable_kinds(user))
    return [kind for kind in ALL_KINDS if kind in allowed]


def exportable_kinds(user) -> list[str]:
    """The kinds ``user`` may export (``core.importing.exportable_kinds``), in the pages' order."""
    allowed = set(importing.exportable_kinds(user))
    return [kind for kind in ALL_KINDS if kind in allowed]


def may_use_imports(user) -> bool:
    return bool(exportable_kinds(user))


def jobs_for(user, *, limit=20):
    """The user's own recent jobs, newest first (one query)."""
    return ImportJob.objects.owned_by(user).defer("dry_run_report", "result_report")[:limit]


def job_for(user, pk) -> ImportJob:
    """The user's job ``pk``; ``ImportJob.DoesNotExist`` for anyone else's (a 404 for the page)."""
    return ImportJob.objects.owned_by(user).get(pk=pk)


def progress_key(job_id) -> str:
    return f"hongfan:import-progress:{job_id}"


def _progress_cache():
    # A cache the worker and the web processes share (Redis in production, settings.CACHES).
    return caches["progress"] if "progress" in settings.CACHES else caches["default"]


def job_progress(job) -> tuple[int, int]:
    """(done, total) of a running job: live from the cache, else what the row last recorded."""
    live = _progress_cache().get(progress_key(job.pk))
    if live:
        return tuple(live)
    return job.progress_done, job.progress_total


def preview_rows(job, *, action: str = ""):
    """The rows of the check for the preview, errors first and then in file order (the order they
    were stored in); only those with ``action`` when given. A queryset: a page is one query."""
    rows = ImportRow.objects.filter(job=job)
    if action:
        rows = rows.filter(action=action)
    return rows.order_by("position")


def uploader_values(job, rows, *, user) -> dict[int, dict[str, str]]:
    """line → {column: value} of the cells at fault in ``rows`` (preview rows of ``job``), as the
    uploader's own file has them: the preview shows the uploader which digit of an ID number is
    wrong, where the stored row keeps it masked. Read back from the job's file, never stored; only
    for the uploader, and only while the file is kept (until the job is written or forgotten)."""
    if user is None or job.user_id != user.pk or not job.file:
        return {}
    wanted = {}
    for row in rows:
        columns = {str(column) for column, _message in (row.errors or []) if column}
        if row.action == "error" and columns:
            wanted[row.line] = columns
    if not wanted:
        return {}
    found = {}
    # The stored rows name their columns in the uploader's language (the check ran in it).
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            with job.file.open("rb") as handle:
                data = tabular.read_bytes(handle)
            _estimate, cells_of = tabular.iter_table(data=data, filename=job.filename)
            lines = tabular.non_empty(cells_of)
            _line, headers = next(lines)
            matched = importing.resource_class(job.kind)(user=job.user).match_headers(headers)
        except (ImportRefused, StopIteration, OSError):
            return {}
        positions = {str(column.header): position for position, column in matched.items()}
        last = max(wanted)
        for line, cells in lines:
            if line > last:
                break
            if line in wanted:
                found[line] = {
                    column: _raw_text(cells[positions[column]] if positions[column] < len(cells) else None)
                    for column in wanted[line]
                    if column in positions
                }
    return found


def _raw_text(value) -> str:
    """A cell of the uploaded file as text, as the uploader typed it."""
    import datetime

    if value is None:
        return ""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- The report as JSON -------------------------------------------------------------------------


def _display(value) -> str:
    """A cell as the preview shows it; personal numbers masked, as the job row keeps them."""
    if value is None:
        return ""
    text = str(value)
    # Anything shaped like a resident ID number, valid or mistyped (a typo still tells the rest).
    if ID_SHAPE_RE.match(text):
        return mask_id_number(text)
    if PHONE_RE.match(text):
        return mask_phone(text)
    return text


def report_to_json(report) -> dict:
    """The engine's ImportReport without its rows, as plain JSON."""
    data = {
        "kind": report.kind,
        "total": report.total,
        "counts": {key: int(value) for key, value in dict(report.counts).items()},
        "committed": bool(report.committed),
    }
    for action in ("new", "update", "unchanged", "error"):
        data["counts"].setdefault(action, 0)
    return data


ROW_BATCH = 2000
# While a file is checked its errors are numbered 0, 1, ... and its other rows from here; once the
# last chunk is stored the other rows move to just after the errors (``_RowSink.close``).
PENDING_BASE = 1_000_000_000


class _RowSink:
    """The engine's row sink (``importing.run_import(on_rows=...)``): each chunk's rows stored as
    ImportRow as soon as they are checked, so that memory does not grow with the file.

    The preview lists errors first, then the other rows, each in file order (``position``). The
    number of errors is known only at the end: errors take 0, 1, ... and the other rows
    ``PENDING_BASE`` + 0, 1, ...; ``close`` then shifts them, in two UPDATEs, to the same numbers
    a sort of the whole file would give (nothing to shift for a file without errors).
    ``late_errors`` (line → [(column, message)]) turns those rows into errors as they pass.
    Messages are rendered in the active language; ID and mobile numbers masked (``_display``).
    """

    def __init__(self, job, *, late_errors=None):
        self.job = job
        self.late_errors = dict(late_errors or {})
        self.errors = 0
        self.others = 0
        self.counts = {"new": 0, "update": 0, "unchanged": 0, "error": 0}
        ImportRow.objects.filter(job=job).delete()

    def __call__(self, rows) -> None:
        batch = []
        for row in rows:
            action, errors = row.action, list(row.errors)
            late = self.late_errors.get(row.line)
            if late:
                action, errors = "error", errors + list(late)
            if action == "error":
                position = self.errors
                self.errors += 1
            else:
                position = PENDING_BASE + self.others
                self.others += 1
            self.counts[action] = self.counts.get(action, 0) + 1
            batch.append(
                ImportRow(
                    job=self.job,
                    position=position,
                    line=row.line,
                    action=action,
                    errors=[[str(column or ""), str(message)] for column, message in errors],
                    values={str(key): _display(value) for key, value in (row.values or {}).items()},
                )
            )
        ImportRow.objects.bulk_create(batch, batch_size=ROW_BATCH)

    def close(self) -> None:
        rows = ImportRow.objects.filter(job=self.job)
        if self.others:
            rows.filter(position__gte=PENDING_BASE).update(position=F("position") - (PENDING_BASE - self.errors))


def _check_with_sink(job, *, late_errors=None, progress=None):
    """A dry run of the job's file whose rows go to ImportRow chunk by chunk; (report, sink)."""
    sink = _RowSink(job, late_errors=late_errors)
    with job.file.open("rb") as handle:
        report = importing.run_import(
            kind=job.kind,
            user=job.user,
            file=handle,
            filename=job.filename,
            dry_run=True,
            progress=progress,
            keep_rows=0,
            on_rows=sink,
        )
    sink.close()
    return report, sink


def process_job(*, job_id: int) -> ImportJob:
    """Do whatever the job is waiting for: its check (queued) or its write (confirmed); nothing
    for a job already checked, written, refused or failed. What the task runs."""
    job = ImportJob.objects.get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            if job.status in (STATUS.QUEUED, STATUS.CHECKING):
                _take(job_id, IMPORT_STEPS["take_check"])
                return _run(job_id, dry_run=True)
            if job.status == STATUS.COMMITTING:
                _take(job_id, IMPORT_STEPS["take_write"])
                return _run(job_id, dry_run=False)
        except Exception:
            # The job shows it and the log keeps the trace; the transaction wrote nothing.
            logger.exception("import job %s failed", job_id)
            _fail(job_id, gettext("The import stopped on an unexpected error; nothing was written."))
    return ImportJob.objects.get(pk=job_id)


def _take(job_id: int, step) -> None:
    """A worker takes the job up: it is being checked (or written), since now, one attempt more.
    Committed at once, before ``_run`` locks the row for the whole work, so that the sweep
    (``requeue_lost_jobs``) sees a job taken up whose row is not locked when its worker died."""
    ImportJob.objects.filter(pk=job_id, status__in=step.from_).update(
        status=step.to, heartbeat_at=timezone.now(), attempts=F("attempts") + 1
    )


def _fail(job_id, message) -> None:
    failed = (
        ImportJob.objects.filter(pk=job_id)
        .exclude(status=STATUS.COMMITTED)
        .update(status=STATUS.FAILED, error=fit_text(str(message), TEXT_LOG), finished_at=timezone.now())
    )
    if failed:  # a failed job is never confirmed: its spreadsheet is not kept either
        transaction.on_commit(lambda: _forget_file(job_id))


def requeue_lost_jobs(*, now=None) -> list[int]:
    """The sweep (``portal.tasks.requeue_lost_import_jobs``, from beat): a job being checked or
    written holds its row lock for the whole work (``_run``), and a killed worker's transaction is
    rolled back by the database, lock included, with nothing written. So a job taken up more than
    ``HONGFAN_JOB_STALE_SECONDS`` ago whose row is not locked lost its worker: it is handed out
    again (the ids returned, for the caller to enqueue once this commits), or failed with a message
    once it has been taken up ``HONGFAN_JOB_MAX_ATTEMPTS`` times.

    Needs ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL): on SQLite, whose jobs run in the
    request (the embedded mode), there is no worker to lose and the sweep does nothing.
    """
    if not connection.features.has_select_for_update_skip_locked:
        return []
    cutoff = (now or timezone.now()) - heartbeat.stale_after()
    requeued = []
    with transaction.atomic():
        lost = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(status__in=(STATUS.CHECKING, STATUS.COMMITTING), heartbeat_at__lt=cutoff)
            .order_by("pk")
        )
        for job in lost:
            if job.attempts >= heartbeat.max_attempts():
                with translation.override(job.language or settings.LANGUAGE_CODE):
                    message = gettext("The worker handling this file stopped %(count)s times; nothing was written.") % {
                        "count": job.attempts
                    }
                _fail(job.pk, message)
                logger.warning("import job %s lost its worker %s times: given up", job.pk, job.attempts)
                continue
            # Not taken up until a worker takes it: a second sweep leaves it alone meanwhile.
            ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=None)
            requeued.append(job.pk)
            logger.warning("import job %s lost its worker: queued again", job.pk)
    return requeued


class _Progress:
    """The engine's progress callback: into the cache, at most about twice a second."""

    def __init__(self, job_id):
        self.key = progress_key(job_id)
        self.cache = _progress_cache()
        self.last = 0.0
        self.done = self.total = 0

    def __call__(self, done, total):
        self.done, self.total = int(done), int(total)
        now = time.monotonic()
        if done >= total or now - self.last >= 0.5:
            self.last = now
            self.cache.set(self.key, (self.done, self.total), timeout=6 * 3600)


def _run(job_id: int, *, dry_run: bool) -> ImportJob:
    progress = _Progress(job_id)
    progress.cache.set(progress.key, (0, 0), timeout=6 * 3600)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("user").get(pk=job_id)
        step = IMPORT_STEPS["check" if dry_run else "write"]
        if not step.allows(job.status):  # done by an earlier run of the same task
            return job
        now = timezone.now()
        try:
            if dry_run:
                # The rows are stored as they are checked; the report keeps only the counts.
                report, _sink = _check_with_sink(job, progress=progress)
            else:
                # Rows go nowhere while writing (a written file shows only its counts); a write
                # that finds errors is checked again below to show them.
                with job.file.open("rb") as handle:
                    report = importing.run_import(
                        kind=job.kind,
                        user=job.user,
                        file=handle,
                        filename=job.filename,
                        dry_run=False,
                        progress=progress,
                        keep_rows=0,
                        on_rows=_discard,
                    )
        except ImportRefused as refused:
            if dry_run:
                ImportRow.objects.filter(job=job).delete()  # a partly stored preview
            job.status = STATUS.REFUSED
            job.error = fit_text(str(getattr(refused, "message", None) or refused), TEXT_LOG)
            job.finished_at = now
            job.save()
            transaction.on_commit(lambda: _forget_file(job_id))
            return job
        job.progress_total = report.total
        job.progress_done = progress.done if progress.total else report.total
        if dry_run:
            job.status = STATUS.CHECKED
            job.dry_run_report = report_to_json(report)
            job.checked_at = now
        elif report.committed:
            job.status = STATUS.COMMITTED
            job.result_report = report_to_json(report)
            job.finished_at = now
            ImportRow.objects.filter(job=job).delete()  # the preview is over; the counts stay
            transaction.on_commit(lambda: _forget_file(job_id))
        else:
            # The data changed since the check: nothing written, the new errors shown instead. The
            # write kept no rows (memory stays flat), so the file is checked again into the preview,
            # with the errors only a write finds (``finish``, in ``report.rows``) laid over it.
            late = {}
            for row in report.rows:
                late.setdefault(row.line, []).extend(row.errors)
            _checked, sink = _check_with_sink(job, late_errors=late)
            job.status = STATUS.CHECKED
            job.dry_run_report = report_to_json(report)
            if sink.counts["error"]:  # else keep the write's counts: it may not be confirmed as is
                job.dry_run_report["counts"] = dict(sink.counts)
            job.checked_at = now
            job.error = gettext("The data changed since the check; nothing was written. See the errors below.")
        job.save()
    progress.cache.delete(progress.key)
    return job


def _discard(rows) -> None:
    """The row sink of a write run: its rows are not kept (see ``_run``)."""


def keep_days() -> int:
    return getattr(settings, "IMPORT_KEEP_DAYS", 7)


def forget_stale_files(*, days: int | None = None, now=None) -> int:
    """Delete the spreadsheets of jobs left unconfirmed for ``days`` (``IMPORT_KEEP_DAYS``): they
    hold plain personal data. Such a job can no longer be confirmed; its counts stay, its preview
    rows go. A job still not finished after so long (its message lost) is failed as well. Returns
    the number of files deleted. Run daily by beat
    (``portal.tasks.forget_stale_import_files``)."""
    import datetime

    cutoff = (now or timezone.now()) - datetime.timedelta(days=keep_days() if days is None else days)
    stale = ImportJob.objects.filter(created_at__lt=cutoff).exclude(file="").values_list("pk", "status", "language")
    count = 0
    for job_id, status, language in list(stale):
        if status in ImportJob.RUNNING:
            # Still "waiting" or "being checked" after days: its worker and its message are lost.
            with translation.override(language or settings.LANGUAGE_CODE):
                _fail(job_id, gettext("The import was never finished; nothing was written."))
        _forget_file(job_id)
        ImportRow.objects.filter(job_id=job_id).delete()
        count += 1
    return count


def _forget_file(job_id) -> None:
    """The spreadsheet holds plain personal data; once its job is over it is not kept."""
    job = ImportJob.objects.filter(pk=job_id).only("file").first()
    if job and job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job_id).update(file="")


# --- Exports ------------------------------------------------------------------------------------


def export_file(*, kind: str, user, file_format: str = "xlsx", queryset=None) -> bytes:
    """An export of ``kind`` in the user's scope (masked, formula-safe: ``core.importing.export_dataset``).

    ValidationError for a kind the user may not export or an unknown format.
    """
    if kind not in exportable_kinds(user):
        raise ValidationError({"kind": _("You may not export this kind of data.")})
    if file_format not in FILE_FORMATS:
        raise ValidationError({"format": _("Choose xlsx or csv.")})
    return importing.export_dataset(kind=kind, user=user, queryset=queryset, file_format=file_format)


def export_queryset(*, kind: str, user, organization=None, activity=None, period: str = ""):
    """The rows of an export narrowed to what a page shows: an organisation (and those below it),
    one activity's attendance, or a period ('2026', '2026-Q2', '2026-04') of attendance or dues.

    Always within ``visible_to(user)``; ``None`` when nothing narrows it (the engine's whole scope).
    The organisation and activity passed in come from the user's visible rows (the export form).
    """
    import datetime

    if organization is None and activity is None and not period:
        return None
    model = {
        ImportKind.ENTERPRISES: Enterprise,
        ImportKind.ORGANIZATIONS: Organization,
        ImportKind.MEMBERS: Member,
        ImportKind.ATTENDANCE: Attendance,
        ImportKind.DUES: DuesPayment,
    }[ImportKind(kind)]
    queryset = model.objects.visible_to(user)
    if organization is not None:
        tree = Organization.objects.with_descendants({organization.pk})
        lookup = {
            ImportKind.ENTERPRISES: "organizations__in",
            ImportKind.ORGANIZATIONS: "pk__in",
            ImportKind.MEMBERS: "organization__in",
            ImportKind.ATTENDANCE: "member__organization__in",
            ImportKind.DUES: "member__organization__in",
        }[ImportKind(kind)]
        queryset = queryset.filter(**{lookup: tree})
        if kind == ImportKind.ENTERPRISES:
            queryset = queryset.distinct()
    if activity is not None and kind == ImportKind.ATTENDANCE:
        queryset = queryset.filter(activity=activity)
    bounds = parse_period(period) if period else None
    if bounds and kind == ImportKind.ATTENDANCE:
        queryset = queryset.filter(
            activity__starts_at__gte=day_start(bounds[0]),
            activity__starts_at__lt=day_start(bounds[1] + datetime.timedelta(days=1)),
        )
    elif bounds and kind == ImportKind.DUES:
        queryset = queryset.filter(month__gte=bounds[0], month__lte=bounds[1])
    return queryset
