"""Spreadsheet imports on their way in: the job and the rows of its preview."""

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from core.querysets import NOTHING, VIEW, ScopedQuerySet
from core.transitions import Step
from core.validators import SYSTEM_TIME, TEXT_LOG, text_constraint


class ImportKind(models.TextChoices):
    """What a spreadsheet import or export is about (``portal.dataio.KINDS``)."""

    ENTERPRISES = "enterprises", _("enterprises")
    ORGANIZATIONS = "organizations", _("organisations")
    MEMBERS = "members", _("members")
    ATTENDANCE = "attendance", _("attendance")
    DUES = "dues", _("party dues")


class ImportJobQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        # Only the uploader reaches (and confirms or cancels) a job; ``condition_for`` adds that
        # for every signed-in user.
        return NOTHING

    def condition_for(self, user, action=VIEW):
        condition = super().condition_for(user, action)
        if condition is None or not user.is_authenticated:
            return condition
        return condition | Q(user=user)

    def owned_by(self, user):
        """The pages: a job belongs to its uploader, even a superuser reaches only their own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class ImportJob(models.Model):
    """One uploaded spreadsheet on its way in: checked (dry run), then confirmed and written.

    Its status changes only through ``portal.imports``; the reports are the engine's
    ``ImportReport`` as JSON.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be checked")
        CHECKING = "checking", _("being checked")
        CHECKED = "checked", _("checked")
        REFUSED = "refused", _("refused")
        COMMITTING = "committing", _("being written")
        COMMITTED = "committed", _("written")
        FAILED = "failed", _("failed")

    RUNNING = (Status.QUEUED, Status.CHECKING, Status.COMMITTING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="import_jobs", verbose_name=_("user")
    )
    kind = models.CharField(_("kind of data"), max_length=20, choices=ImportKind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=300, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    dry_run_report = models.JSONField(_("check report"), null=True, blank=True)
    result_report = models.JSONField(_("result report"), null=True, blank=True)
    error = models.TextField(_("error"), max_length=TEXT_LOG, blank=True)
    task_id = models.CharField(_("task id"), max_length=100, blank=True)
    # The uploader's language, so that a worker writes the report's messages in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(
        _("uploaded at"), auto_now_add=True, db_index=True, validators=SYSTEM_TIME.validators()
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    # When a worker last took the job up, and how many times it has: a job being checked or
    # written whose row is no longer locked lost its worker (``dataio.jobs.requeue_lost_jobs``).
    heartbeat_at = models.DateTimeField(_("taken up at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    objects = ImportJobQuerySet.as_manager()

    class Meta:
        db_table = "portal_importjob"  # the table of the app it was first defined in
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            text_constraint("error", TEXT_LOG),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
            SYSTEM_TIME.constraint("checked_at", datetime_field=True),
            SYSTEM_TIME.constraint("confirmed_at", datetime_field=True),
            SYSTEM_TIME.constraint("finished_at", datetime_field=True),
            SYSTEM_TIME.constraint("heartbeat_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.filename} · {self.get_kind_display()} · {self.get_status_display()}"

    @property
    def is_running(self):
        return self.status in self.RUNNING

    @property
    def error_count(self):
        return ((self.dry_run_report or {}).get("counts") or {}).get("error", 0)

    @property
    def may_confirm(self):
        report = self.dry_run_report or {}
        checked = self.status == self.Status.CHECKED and bool(self.file)
        return checked and not self.error_count and bool(report.get("total"))


@receiver(post_delete, sender=ImportJob, dispatch_uid="dataio.importjob.delete_file")
def _delete_spreadsheet(sender, instance, **kwargs):
    """A job deleted (with its uploader, say) takes its spreadsheet with it, once that commits."""
    if instance.file:
        file = instance.file
        transaction.on_commit(lambda: file.delete(save=False))


class ImportRowQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        return NOTHING

    def condition_for(self, user, action=VIEW):
        # The rows of a job go with the job: its uploader's (a superuser's back office sees all).
        condition = super().condition_for(user, action)
        if condition is None or not user.is_authenticated:
            return condition
        return condition | Q(job__user=user)


class ImportRow(models.Model):
    """One row of a checked file as the preview lists it: its result, the fields at fault and
    their reasons, and its values (ID and mobile numbers masked). Rows are numbered errors first,
    so that a page of the preview is one indexed query however long the file."""

    job = models.ForeignKey(ImportJob, models.CASCADE, related_name="rows", verbose_name=_("import job"))
    position = models.PositiveIntegerField(_("position"))
    line = models.PositiveIntegerField(_("line"))
    action = models.CharField(_("result"), max_length=10)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    values = models.JSONField(_("values"), default=dict, blank=True)
    objects = ImportRowQuerySet.as_manager()

    class Meta:
        db_table = "portal_importrow"  # the table of the app it was first defined in
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["job", "position"]
        indexes = [
            models.Index(fields=["job", "position"]),
            models.Index(fields=["job", "action", "position"]),
        ]

    def __str__(self):
        return f"{self.job_id} · {self.line} · {self.action}"


# The import workflow as one table (``core.transitions``): the uploader's confirmation goes through
# ``transition`` (``dataio.actions.confirm_import``); the worker's steps (``dataio.jobs._run``) hold
# the row lock for the whole check or write, so they read their from-states here and set the
# outcome themselves: checked or refused after a check, written or checked again after a write.
_S = ImportJob.Status
IMPORT_STEPS = {
    # A worker takes a job up (``dataio.jobs._take``), before it locks the row for the work.
    "take_check": Step(from_={_S.QUEUED, _S.CHECKING}, to=_S.CHECKING),
    "take_write": Step(from_={_S.COMMITTING}, to=_S.COMMITTING),
    "check": Step(from_={_S.QUEUED, _S.CHECKING}, to=_S.CHECKED),
    "refuse": Step(from_={_S.QUEUED, _S.CHECKING, _S.COMMITTING}, to=_S.REFUSED),
    "confirm": Step(
        from_={_S.CHECKED},
        to=_S.COMMITTING,
        refused=_("This file is not waiting for confirmation."),
    ),
    "write": Step(from_={_S.COMMITTING}, to=_S.COMMITTED),
    "fail": Step(from_={_S.QUEUED, _S.CHECKING, _S.CHECKED, _S.COMMITTING}, to=_S.FAILED),
}


# --- Exports too large for the request ------------------------------------------------------------


class ExportJob(models.Model):
    """An export with more rows than ``HONGFAN_EXPORT_SYNC_ROWS``, written by a Celery task into a
    file in the default storage (``dataio.export_jobs``). Only its owner sees it and downloads the
    file, which is deleted ``HONGFAN_EXPORT_KEEP_HOURS`` after it was written."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being written")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    RUNNING_STATES = (Status.QUEUED, Status.RUNNING)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="export_jobs", verbose_name=_("user")
    )
    kind = models.CharField(_("kind of data"), max_length=20, choices=ImportKind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=[("xlsx", "xlsx"), ("csv", "csv")])
    # The export page's narrowing (organisation, activity, period), checked again by the task.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    file = models.FileField(_("file"), upload_to="exports/%Y/%m/", max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(_("rows done"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in all"), default=0)
    error = models.TextField(_("error"), max_length=TEXT_LOG, blank=True)
    task_id = models.CharField(_("task id"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(
        _("requested at"), auto_now_add=True, db_index=True, validators=SYSTEM_TIME.validators()
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    # The running job's last sign of life, and how many times a worker has taken it up: a job
    # "being written" silent for HONGFAN_JOB_STALE_SECONDS lost its worker and is queued again
    # (``dataio.export_jobs.requeue_lost_exports``), until HONGFAN_JOB_MAX_ATTEMPTS.
    heartbeat_at = models.DateTimeField(
        _("last sign of life"), null=True, blank=True, validators=SYSTEM_TIME.validators()
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    objects = ImportJobQuerySet.as_manager()  # the same rule: the owner's, and a superuser's back office

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            text_constraint("error", TEXT_LOG),
            SYSTEM_TIME.constraint("created_at", datetime_field=True),
            SYSTEM_TIME.constraint("finished_at", datetime_field=True),
            SYSTEM_TIME.constraint("heartbeat_at", datetime_field=True),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.file_format} · {self.get_status_display()}"

    @property
    def is_running(self):
        return self.status in self.RUNNING_STATES


@receiver(post_delete, sender=ExportJob, dispatch_uid="dataio.exportjob.delete_file")
def _delete_export_file(sender, instance, **kwargs):
    if instance.file:
        file = instance.file
        transaction.on_commit(lambda: file.delete(save=False))
