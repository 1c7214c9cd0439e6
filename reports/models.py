"""Periodic statistics reports and the runs that build them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.periods import PeriodKind
from core.querysets import NOTHING, VIEW, ScopedQuerySet
from core.validators import REPORT_PERIOD, SYSTEM_TIME, TEXT_LOG, text_constraint


class ReportScopeKind(models.TextChoices):
    DISTRICT = "district", _("district")
    PARK = "park", _("park")


ReportPeriodKind = PeriodKind  # the portal's one period kind (core.periods)


class StatReportQuerySet(ScopedQuerySet):
    def scope_filter(self, scope, action=VIEW):
        if action != VIEW:
            return NOTHING  # built by ``reports.building`` only, never edited
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
        "parks.District",
        models.CASCADE,
        null=True,
        blank=True,
        related_name="stat_reports",
        verbose_name=_("district"),
    )
    park = models.ForeignKey(
        "parks.Park", models.CASCADE, null=True, blank=True, related_name="stat_reports", verbose_name=_("park")
    )
    period_kind = models.CharField(_("period kind"), max_length=10, choices=ReportPeriodKind.choices)
    period_start = models.DateField(_("period start"), validators=REPORT_PERIOD.validators())
    generated_at = models.DateTimeField(_("generated at"), validators=SYSTEM_TIME.validators())
    data = models.JSONField(_("figures"), default=dict)
    objects = StatReportQuerySet.as_manager()

    class Meta:
        db_table = "portal_statreport"  # the table of the app it was first defined in
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
                fields=["district", "period_kind", "period_start"],
                condition=Q(district__isnull=False),
                name="stat_report_unique_district_period",
            ),
            models.UniqueConstraint(
                fields=["park", "period_kind", "period_start"],
                condition=Q(park__isnull=False),
                name="stat_report_unique_park_period",
            ),
            REPORT_PERIOD.constraint("period_start"),
            SYSTEM_TIME.constraint("generated_at", datetime_field=True),
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
    def scope_filter(self, scope, action=VIEW):
        return StatReportQuerySet.scope_filter(self, scope, action)


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
    park = models.ForeignKey(
        "parks.Park", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("park")
    )
    period_kind = models.CharField(_("period kind"), max_length=10, choices=ReportPeriodKind.choices)
    period_start = models.DateField(_("period start"), validators=REPORT_PERIOD.validators())
    report = models.ForeignKey(
        StatReport, models.SET_NULL, null=True, blank=True, related_name="runs", verbose_name=_("report")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True, validators=SYSTEM_TIME.validators())
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    # The worker's last sign of life while it builds (core.heartbeat): a running run whose heartbeat
    # is stale lost its worker and is queued again by ``reports.building.requeue_lost_runs``.
    heartbeat_at = models.DateTimeField(
        _("last sign of life"), null=True, blank=True, validators=SYSTEM_TIME.validators()
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, validators=SYSTEM_TIME.validators())
    duration = models.DurationField(_("duration"), null=True, blank=True)
    error = models.TextField(_("error"), max_length=TEXT_LOG, blank=True)
    objects = StatReportRunQuerySet.as_manager()

    class Meta:
        db_table = "portal_statreportrun"  # the table of the app it was first defined in
        verbose_name = _("statistics report run")
        verbose_name_plural = _("statistics report runs")
        ordering = ["-queued_at", "-pk"]
        constraints = [
            text_constraint("error", TEXT_LOG),
            models.CheckConstraint(
                name="stat_report_run_scope_matches_kind",
                condition=(
                    Q(scope_kind=ReportScopeKind.DISTRICT, district__isnull=False, park__isnull=True)
                    | Q(scope_kind=ReportScopeKind.PARK, district__isnull=True, park__isnull=False)
                ),
            ),
            REPORT_PERIOD.constraint("period_start"),
            SYSTEM_TIME.constraint("queued_at", datetime_field=True),
            SYSTEM_TIME.constraint("started_at", datetime_field=True),
            SYSTEM_TIME.constraint("finished_at", datetime_field=True),
            SYSTEM_TIME.constraint("heartbeat_at", datetime_field=True),
        ]
        indexes = [models.Index(fields=["scope_kind", "district", "park", "period_kind", "period_start"])]

    def __str__(self):
        return f"{self.scope_kind}:{self.district_id or self.park_id} {self.period_kind} {self.period_start}"
