"""Back office for organisation life. Every write goes through activities.actions.

Activities are never deleted here (cancel them on their page, which reverses their points); point
entries are read-only (the ledger is written by the actions only); the rules are edited by
superusers and read by park administrators.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from core.admin import ADD, CHANGE, VIEW, ReadOnlyAdmin, ScopedAdmin, ScopedInline
from core.admin_import import ResourceAdminMixin

from . import actions
from .models import Activity, ActivityFile, Attendance, ComplianceRule, PointEntry, PointRule
from .resources import AttendanceResource

ACTIVITY_FIELDS = (
    "kind",
    "title",
    "topic",
    "starts_at",
    "ends_at",
    "place",
    "room",
    "online",
    "minutes",
    "non_member_count",
)


class ActivityAdminForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=300,
        help_text=_("Required when a held activity's period has closed; kept in the history."),
    )

    class Meta:
        model = Activity
        fields = ("host", *ACTIVITY_FIELDS, "co_hosts")

    def clean(self):
        data = super().clean()
        host = data.get("host") or getattr(self.instance, "host", None)
        if host is None or self.errors:
            return data
        actions.validate_fields(
            kind=data.get("kind"),
            title=data.get("title"),
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
            room=data.get("room"),
            host=host,
            co_hosts=list(data.get("co_hosts") or []),
            non_member_count=data.get("non_member_count"),
        )
        if self.instance.pk:
            try:
                actions.require_reason_if_closed(
                    Activity.objects.get(pk=self.instance.pk),
                    data.get("change_reason"),
                    new_kind=data.get("kind"),
                    new_starts_at=data.get("starts_at"),
                )
            except ValidationError as exc:
                raise ValidationError({"change_reason": exc.error_dict["reason"]}) from None
        return data


class AttendanceFormSet(BaseInlineFormSet):
    def entries(self):
        result = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("member"):
                continue
            result.append(
                actions.AttendanceInput(
                    member_id=data["member"].pk,
                    status=data.get("status") or Attendance.Status.PRESENT,
                    reason=data.get("reason") or "",
                    late=bool(data.get("late")),
                    left_early=bool(data.get("left_early")),
                    volunteer_hours=data.get("volunteer_hours") or 0,
                )
            )
        return result

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        changed = [f for f in self.forms if f.has_changed()]
        if not changed:
            return
        try:
            actions.check_attendance(self.instance, self.entries())
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class AttendanceInline(ScopedInline):
    model = Attendance
    formset = AttendanceFormSet
    fields = ("member", "status", "reason", "late", "left_early", "volunteer_hours")
    autocomplete_fields = ()
    park_admin_permissions = frozenset({VIEW, ADD, CHANGE})
    scope_park_path = "activity__host__park"
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member")


class ActivityFileInline(ScopedInline):
    model = ActivityFile
    fields = ("kind", "name", "file", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    park_admin_permissions = frozenset({VIEW})
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(ScopedAdmin):
    form = ActivityAdminForm
    list_display = ("title", "host", "kind", "starts_at", "status", "quorum_met", "non_member_count")
    list_filter = ("status", "kind")
    search_fields = ("title", "topic", "host__name")
    list_select_related = ("host",)
    date_hierarchy = "starts_at"
    readonly_fields = (
        "status",
        "cancel_reason",
        "voting_members",
        "voting_present",
        "quorum_met",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = [AttendanceInline, ActivityFileInline]
    park_admin_permissions = frozenset({VIEW, ADD, CHANGE})
    scope_park_path = "host__park"

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("host")  # an activity does not move to another organisation
        return fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        values = {name: data.get(name) for name in ACTIVITY_FIELDS if name in data}
        values["non_member_count"] = values.get("non_member_count") or 0
        if change:
            actions.activity_update(
                activity=obj,
                by=request.user,
                reason=data.get("change_reason", ""),
                co_hosts=list(data.get("co_hosts") or []),
                **values,
            )
        else:
            created = actions.activity_log(
                by=request.user, host=data["host"], co_hosts=list(data.get("co_hosts") or []), **values
            )
            obj.pk = created.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # co_hosts were set by the action; the inlines go through attendance_record.
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Attendance:
            return
        if not any(f.has_changed() for f in formset.forms):
            return
        formset.instance = form.instance
        actions.attendance_record(
            activity=form.instance,
            by=request.user,
            entries=formset.entries(),
            reason=form.cleaned_data.get("change_reason", ""),
        )


@admin.register(Attendance)
class AttendanceAdmin(ResourceAdminMixin, ReadOnlyAdmin):
    # Read-only by form; an import writes through activities.actions.attendance_record.
    resource_classes = [AttendanceResource]
    list_display = ("activity", "member", "status", "reason", "late", "left_early", "volunteer_hours")
    list_filter = ("status",)
    search_fields = ("member__name", "activity__title")
    list_select_related = ("activity", "member")


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    list_display = ("member", "points", "reason", "activity", "created_at")
    list_filter = ("reason",)
    search_fields = ("member__name", "activity__title")
    list_select_related = ("member", "activity")


class RuleAdmin(ScopedAdmin):
    """Shared reference data: superusers edit, park administrators read."""

    park_admin_permissions = frozenset({VIEW})

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ComplianceRule)
class ComplianceRuleAdmin(RuleAdmin):
    list_display = ("kind", "period", "minimum_count", "applies_to", "is_active")
    list_editable = ("period", "minimum_count", "is_active")


@admin.register(PointRule)
class PointRuleAdmin(RuleAdmin):
    list_display = ("kind", "points", "points_per_volunteer_hour", "is_active")
    list_editable = ("points", "points_per_volunteer_hour", "is_active")
