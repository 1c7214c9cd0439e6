"""Back office of the portal app: role assignments, notifications, users; and the admin site.

Who gets in at all is decided here (``may_enter_admin``): superusers and park administrators.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .admin_base import (
    ADD,
    DELETE,
    VIEW,
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ScopedAdmin,
    ScopedInline,
    ScopedRelatedFieldListFilter,
    may_enter_admin,
)
from .models import Notification, Role, RoleAssignment, StatReport, StatReportRun
from .scope import scope_for

User = get_user_model()

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = _("Hongfan back office")
admin.site.index_title = _("Back office")
# Staff status alone does not open the back office: the role does. (An instance attribute, so
# that the default site and its URLs stay as they are.)
admin.site.has_permission = lambda request: may_enter_admin(request.user)

# The roles a park administrator may hand out, within their own park.
PARK_ADMIN_GRANTABLE = (Role.BRANCH_SECRETARY, Role.SERVICE_STAFF)


def assignment_park_id(assignment):
    if assignment.role == Role.SERVICE_STAFF:
        return assignment.park_id
    if assignment.role == Role.BRANCH_SECRETARY and assignment.organization is not None:
        return assignment.organization.park_id
    return None


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ("user", "role", "scope_display", "created_at")
    list_select_related = ("user", "district", "park", "organization")
    list_filter = ("role", ("park", ScopedRelatedFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    fields = ("user", "role", "district", "park", "organization")
    park_admin_permissions = frozenset({VIEW, ADD, DELETE})  # no edits: remove and re-add

    @admin.display(description=_("scope"))
    def scope_display(self, obj):
        return obj.scope_object or "—"

    def get_autocomplete_fields(self, request):
        # Park administrators cannot open the user list; they pick from a scoped select instead.
        if request.user.is_superuser:
            return ("user", "district", "park", "organization")
        return ("park", "organization")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = self.grantable_users(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [("", "---------")] + [(r.value, r.label) for r in PARK_ADMIN_GRANTABLE]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def grantable_users(self, request):
        """People a park administrator may give a role: members of their park and its role holders."""
        park_ids = scope_for(request.user).park_ids
        return (
            User.objects.filter(is_active=True)
            .filter(
                Q(member__organization__park__in=park_ids)
                | Q(role_assignments__park__in=park_ids)
                | Q(role_assignments__organization__park__in=park_ids)
            )
            .distinct()
            .order_by("username")
        )

    def may_write(self, request, obj):
        if request.user.is_superuser or obj is None:
            return True
        return (
            obj.role in PARK_ADMIN_GRANTABLE and assignment_park_id(obj) in scope_for(request.user).park_ids
        )

    def check_form_scope(self, request, form):
        if request.user.is_superuser:
            return
        role = form.cleaned_data.get("role")
        if role and role not in PARK_ADMIN_GRANTABLE:
            raise ValidationError({"role": _("You may only assign branch secretaries and service staff.")})
        park_ids = scope_for(request.user).park_ids
        park = form.cleaned_data.get("park")
        organization = form.cleaned_data.get("organization")
        if role == Role.SERVICE_STAFF and park is not None and park.pk not in park_ids:
            raise ValidationError({"park": _("You may only save records of your own park.")})
        if (
            role == Role.BRANCH_SECRETARY
            and organization is not None
            and organization.park_id not in park_ids
        ):
            raise ValidationError({"organization": _("You may only save records of your own park.")})


class RoleAssignmentInline(ScopedInline):
    model = RoleAssignment
    fk_name = "user"
    fields = ("role", "district", "park", "organization", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("district", "park", "organization")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only, for superusers: messages are created by ``portal.notifications.notify`` only."""

    list_display = ("title", "recipient", "created_at", "read_at")
    list_select_related = ("recipient",)
    list_filter = (("read_at", admin.EmptyFieldListFilter),)
    search_fields = ("title", "recipient__username")
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts, for superusers only. Staff status follows the PARK_ADMIN role (portal.signals)."""

    inlines = (RoleAssignmentInline,)
    readonly_fields = ("is_staff", "last_login", "date_joined")
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def _superuser(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request)

    def has_add_permission(self, request):
        return self._superuser(request)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request)


@admin.register(StatReport)
class StatReportAdmin(ReadOnlyAdmin):
    """Statistics reports are written by ``portal.reports.build_report`` only (the beat's jobs and
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
        import json

        from django.utils.html import format_html

        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2))


@admin.register(StatReportRun)
class StatReportRunAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "attempts", "queued_at", "duration", "requested_by")
    list_select_related = ("district", "park", "requested_by")
    list_filter = ("status", "scope_kind", "period_kind")
    date_hierarchy = "queued_at"
    readonly_fields = (
        "scope_kind", "district", "park", "period_kind", "period_start", "report", "requested_by", "task_id",
        "status", "attempts", "queued_at", "started_at", "finished_at", "duration", "error",
    )


# --- Import jobs ------------------------------------------------------------------------------

from .admin_base import ReadOnlyAdmin  # noqa: E402
from .models import ImportJob  # noqa: E402


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    """Uploads on their way in, written only by ``portal.imports``; a park administrator sees their
    own, a superuser all. The file itself is not kept once the job is over."""

    list_display = ("filename", "kind", "status", "user", "progress_total", "created_at", "finished_at")
    list_filter = ("kind", "status")
    list_select_related = ("user",)
    search_fields = ("filename", "user__username")
    date_hierarchy = "created_at"
    readonly_fields = ("counts",)  # the rows themselves: on the job's page, for its uploader

    @admin.display(description=_("counts"))
    def counts(self, obj):
        report = obj.result_report or obj.dry_run_report or {}
        return ", ".join(f"{key}: {value}" for key, value in (report.get("counts") or {}).items()) or "—"
