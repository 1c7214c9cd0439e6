"""Back office of imports: the jobs, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Uploads on their way in, written only by ``dataio.jobs``; a park administrator sees their
    own, a superuser all. The file itself is not kept once the job is over."""

    list_display = ("filename", "kind", "status", "user", "progress_total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    list_select_related = ("user",)
    search_fields = ("filename", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = ("counts",)  # the rows themselves: on the job's page, for its uploader
    exclude = ("file",)  # never served (core.media.seal): no link to it either

    @admin.display(description=_("counts"))
    def counts(self, obj):
        report = obj.result_report or obj.dry_run_report or {}
        return ", ".join(f"{key}: {value}" for key, value in (report.get("counts") or {}).items()) or "—"
