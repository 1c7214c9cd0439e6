"""Back office of statistics reports: read-only."""

import json

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import StatReport, StatReportRun


@admin.register(StatReport)
class StatReportAdmin(ReadOnlyAdmin):
    """Statistics reports are written by ``reports.building.build_report`` only (the beat's jobs and
    "rebuild now" on the report page); the schedule itself is under Periodic tasks."""

    list_display = ("__str__", "scope_kind", "period_kind", "period_start", "generated_at")
    list_select_related = ("district", "park")
    list_filter = ("scope_kind", "period_kind")
    search_fields = ("district__name", "park__name")
    date_hierarchy = "period_start"
    fields = ("scope_kind", "district", "park", "period_kind", "period_start", "generated_at", "figures")
    readonly_fields = fields

    @admin.display(description=_("figures"))
    def figures(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2))


@admin.register(StatReportRun)
class StatReportRunAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "attempts", "queued_at", "duration", "requested_by")
    list_select_related = ("district", "park", "requested_by")
    list_filter = ("status", "scope_kind", "period_kind")
    date_hierarchy = "queued_at"
    readonly_fields = (
        "scope_kind",
        "district",
        "park",
        "period_kind",
        "period_start",
        "report",
        "requested_by",
        "task_id",
        "status",
        "attempts",
        "queued_at",
        "started_at",
        "finished_at",
        "duration",
        "error",
    )
