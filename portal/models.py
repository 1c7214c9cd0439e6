from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .querysets import ScopedQuerySet


class Role(models.TextChoices):
    DISTRICT_OFFICIAL = "district_official", _("district official")
    PARK_ADMIN = "park_admin", _("park administrator")
    BRANCH_SECRETARY = "branch_secretary", _("branch secretary")
    SERVICE_STAFF = "service_staff", _("service staff")


# Which scope object each role is bound to.
ROLE_SCOPE_FIELD = {
    Role.DISTRICT_OFFICIAL: "district",
    Role.PARK_ADMIN: "park",
    Role.BRANCH_SECRETARY: "organization",
    Role.SERVICE_STAFF: "park",
}


class RoleAssignmentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        # Park administrators see who holds roles in their park; everyone sees their own.
        conditions = Q(pk__in=[])
        if scope.park_ids:
            conditions |= Q(park__in=scope.park_ids) | Q(organization__park__in=scope.park_ids)
        if scope.district_ids:
            conditions |= (
                Q(district__in=scope.district_ids)
                | Q(park__district__in=scope.district_ids)
                | Q(organization__district__in=scope.district_ids)
            )
        return conditions

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return super().visible_to(user) | self.filter(user=user)


class RoleAssignment(models.Model):
    """A user holds a role over one scope object: a district, a park or an organisation.

    A member's own access needs no assignment: it follows from the link between the login and
    the member record.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    district = models.ForeignKey(
        "parks.District", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    park = models.ForeignKey(
        "parks.Park", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("park")
    )
    organization = models.ForeignKey(
        "parks.Organization", models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("organisation"),
    )
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    history = HistoricalRecords()
    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                name="role_assignment_scope_matches_role",
                condition=(
                    Q(role=Role.DISTRICT_OFFICIAL, district__isnull=False, park__isnull=True,
                      organization__isnull=True)
                    | Q(role__in=[Role.PARK_ADMIN, Role.SERVICE_STAFF], district__isnull=True,
                        park__isnull=False, organization__isnull=True)
                    | Q(role=Role.BRANCH_SECRETARY, district__isnull=True, park__isnull=True,
                        organization__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "district"], condition=Q(district__isnull=False),
                name="role_assignment_unique_district",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "park"], condition=Q(park__isnull=False),
                name="role_assignment_unique_park",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"], condition=Q(organization__isnull=False),
                name="role_assignment_unique_organization",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope_object(self):
        return getattr(self, ROLE_SCOPE_FIELD[self.role]) if self.role else None

    def clean(self):
        if not self.role:
            return
        wanted = ROLE_SCOPE_FIELD[self.role]
        errors = {}
        for name in ("district", "park", "organization"):
            value = getattr(self, f"{name}_id")
            if name == wanted and value is None:
                errors[name] = _("This role needs a %(scope)s.") % {"scope": self._meta.get_field(name).verbose_name}
            elif name != wanted and value is not None:
                errors[name] = _("Leave this empty for this role.")
        if errors:
            raise ValidationError(errors)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message in a user's bell. Created through ``portal.notifications.notify`` only."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return self.title


class ReportScopeKind(models.TextChoices):
    DISTRICT = "district", _("district")
    PARK = "park", _("park")


class ReportPeriodKind(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


class StatReportQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        # Officials: their district's report and those of its parks; park administrators: their
        # parks' reports. Secretaries, service staff and members see no statistics reports.
        conditions = Q(pk__in=[])
        if scope.district_ids:
            conditions |= Q(district__in=scope.district_ids) | Q(park__district__in=scope.district_ids)
        if scope.park_ids:
            conditions |= Q(park__in=scope.park_ids)
        return conditions


class StatReport(models.Model):
    """统计报表: the figures of ``portal.statistics.figures`` for one district or park and one period.

    One row per scope and period (database constraints); a rebuild replaces ``data`` and
    ``generated_at`` of the same row. Written only by ``portal.reports.build_report``.
    """

    scope_kind = models.CharField(_("scope kind"), max_length=10, choices=ReportScopeKind.choices)
    district = models.ForeignKey(
        "parks.District", models.CASCADE, null=True, blank=True, related_name="stat_reports",
        verbose_name=_("district"),
    )
    park = models.ForeignKey(
        "parks.Park", models.CASCADE, null=True, blank=True, related_name="stat_reports", verbose_name=_("park")
    )
    period_kind = models.CharField(_("period kind"), max_length=10, choices=ReportPeriodKind.choices)
    period_start = models.DateField(_("period start"))
    generated_at = models.DateTimeField(_("generated at"))
    data = models.JSONField(_("figures"), default=dict)
    objects = StatReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics report")
        verbose_name_plural = _("statistics reports")
        ordering = ["-period_start", "period_kind", "scope_kind", "pk"]
        constraints = [
            models.CheckConstraint(
                name="stat_report_scope_matches_kind",
                condition=(
                    Q(scope_kind=ReportScopeKind.DISTRICT, district__isnull=False, park__isnull=True)
                    | Q(scope_kind=ReportScopeKind.PARK, district__isnull=True, park__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["district", "period_kind", "period_start"], condition=Q(district__isnull=False),
                name="stat_report_unique_district_period",
            ),
            models.UniqueConstraint(
                fields=["park", "period_kind", "period_start"], condition=Q(park__isnull=False),
                name="stat_report_unique_park_period",
            ),
        ]
        indexes = [models.Index(fields=["period_kind", "period_start"])]

    def __str__(self):
        return f"{self.scope_object} · {self.period_label}"

    @property
    def scope_object(self):
        return self.district if self.scope_kind == ReportScopeKind.DISTRICT else self.park

    @property
    def scope_id(self):
        return self.district_id if self.scope_kind == ReportScopeKind.DISTRICT else self.park_id

    @property
    def period_label(self):
        if self.period_kind == ReportPeriodKind.MONTH:
            return f"{self.period_start:%Y-%m}"
        if self.period_kind == ReportPeriodKind.QUARTER:
            return f"{self.period_start.year}-Q{(self.period_start.month - 1) // 3 + 1}"
        return str(self.period_start.year)


class StatReportRunQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return StatReportQuerySet.scope_filter(self, scope)


class StatReportRun(models.Model):
    """One request to build a report (from beat or from "rebuild now"), and how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCESS = "success", _("succeeded")
        FAILED = "failed", _("failed")

    scope_kind = models.CharField(_("scope kind"), max_length=10, choices=ReportScopeKind.choices)
    district = models.ForeignKey(
        "parks.District", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("district")
    )
    park = models.ForeignKey("parks.Park", models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("park"))
    period_kind = models.CharField(_("period kind"), max_length=10, choices=ReportPeriodKind.choices)
    period_start = models.DateField(_("period start"))
    report = models.ForeignKey(
        StatReport, models.SET_NULL, null=True, blank=True, related_name="runs", verbose_name=_("report")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("requested by"),
    )
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration = models.DurationField(_("duration"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    objects = StatReportRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistics report run")
        verbose_name_plural = _("statistics report runs")
        ordering = ["-queued_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="stat_report_run_scope_matches_kind",
                condition=(
                    Q(scope_kind=ReportScopeKind.DISTRICT, district__isnull=False, park__isnull=True)
                    | Q(scope_kind=ReportScopeKind.PARK, district__isnull=True, park__isnull=False)
                ),
            ),
        ]
        indexes = [models.Index(fields=["scope_kind", "district", "park", "period_kind", "period_start"])]

    def __str__(self):
        return f"{self.scope_kind}:{self.district_id or self.park_id} {self.period_kind} {self.period_start}"


class ImportKind(models.TextChoices):
    """What a spreadsheet import or export is about (``portal.dataio.KINDS``)."""

    ENTERPRISES = "enterprises", _("enterprises")
    ORGANIZATIONS = "organizations", _("organisations")
    MEMBERS = "members", _("members")
    ATTENDANCE = "attendance", _("attendance")
    DUES = "dues", _("party dues")


class ImportJobQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        # Only the uploader reaches a job; ``visible_to`` adds that for every signed-in user.
        return Q(pk__in=[])

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return super().visible_to(user) | self.filter(user=user)

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
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=100, blank=True)
    # The uploader's language, so that a worker writes the report's messages in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]

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


class ImportRowQuerySet(ScopedQuerySet):
    def scope_filter(self, scope):
        return Q(pk__in=[])

    def visible_to(self, user):
        # The rows of a job go with the job: its uploader's (a superuser's back office sees all).
        if not user.is_authenticated:
            return self.none()
        return super().visible_to(user) | self.filter(job__user=user)


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
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["job", "position"]
        indexes = [
            models.Index(fields=["job", "position"]),
            models.Index(fields=["job", "action", "position"]),
        ]

    def __str__(self):
        return f"{self.job_id} · {self.line} · {self.action}"
