"""Back office of party members and their stage history (scope and roles: portal.admin_base).

The resident ID number is personal data: lists, the change form and the history show it masked
unless ``can_view_full_id_number`` allows the full number; its ciphertext and its digest are
never shown. A full ID number typed into the search box is found through the digest.
"""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from core import audit
from core.admin import (
    ALL_PERMISSIONS,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    ScopedAdmin,
    ScopedInline,
    ScopedRelatedFieldListFilter,
)
from core.admin_import import ResourceAdminMixin
from core.validators import mask_id_number, mask_phone

from . import actions
from .models import STAGE_DATE_FIELD, Member, MemberLeave, MembershipEvent, StageChange
from .resources import MemberResource
from .selectors import can_view_full_id_number

ID_NUMBER_RE = re.compile(r"^\d{17}[\dXx]$")
STAGE_DATES = tuple(STAGE_DATE_FIELD.values())


class MaskedHistoryHelper(HistoricalRecordContextHelper):
    """The "changes" column of the history page never spells out an ID number or a phone."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "id_number":
            return mask_id_number(value or "")
        if change.field == "phone":
            return mask_phone(value or "")
        return super().prepare_delta_change_value(change, value)


@admin.display(description=_("reason"))
def reason_shown(obj):
    """A stage change's reason, in the reader's language when the system wrote it."""
    return obj.reason_display


@admin.display(description=_("note"))
def note_shown(obj):
    """A membership event's note, in the reader's language when the system wrote it."""
    return obj.note_display


class StageChangeInline(ReadOnlyMixin, ScopedInline):
    """The member's stage history, read-only: a stage changes through members.actions (stage_advance,
    probation_extend, stage_correct: their pages and API), which check the rules and record who did it."""

    model = StageChange
    fields = ("kind", "from_stage", "to_stage", "effective_on", reason_shown, "changed_by", "created_at")
    readonly_fields = fields
    ordering = ("effective_on", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("changed_by")


class MembershipEventInline(ReadOnlyMixin, ScopedInline):
    """The member's membership history, read-only: written by the actions that register or move a
    member (members.actions.membership), including this form's own save."""

    model = MembershipEvent
    fields = ("on", "kind", "organization", note_shown, "recorded_by", "recorded_at")
    readonly_fields = fields
    ordering = ("on", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("organization", "recorded_by")


@admin.register(Member)
class MemberAdmin(ResourceAdminMixin, ScopedAdmin):
    resource_classes = [MemberResource]  # import/export: portal/dataio.py
    list_select_related = ("organization__park", "employer")
    list_filter = (
        "stage",
        "status",
        "gender",
        "education",
        "shows_identity",
        ("organization__park", ScopedRelatedFieldListFilter),
        ("organization", ScopedRelatedFieldListFilter),
    )
    search_fields = ("name", "=phone")
    autocomplete_fields = ("organization", "employer", "user")
    inlines = (StageChangeInline, MembershipEventInline)
    park_admin_permissions = ALL_PERMISSIONS
    scope_park_path = "organization__park"

    # -- list ------------------------------------------------------------------------------
    def get_list_display(self, request):
        user = request.user

        # A closure over this request's user: admin instances are shared between threads.
        # A full number shown is noted for the audit (core.audit: one row for the page).
        @admin.display(description=_("ID number"))
        def id_number(obj):
            if can_view_full_id_number(user, obj):
                audit.note(request, obj)
                return obj.id_number
            return obj.id_number_masked

        @admin.display(description=_("mobile phone"))
        def phone(obj):
            if can_view_full_id_number(user, obj):
                audit.note(request, obj)
                return obj.phone
            return obj.phone_masked

        return ("name", "gender", id_number, phone, "organization", "park", "stage", "status", "employer")

    @admin.display(description=_("park"), ordering="organization__park__name")
    def park(self, obj):
        return obj.organization.park or "—"

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if ID_NUMBER_RE.fullmatch(term):
            # The column is encrypted: only the keyed digest of the whole number can be searched.
            results = results | queryset.by_id_number(term)
        return results, may_have_duplicates

    # -- form ------------------------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        full = obj is None or can_view_full_id_number(request.user, obj)
        if obj is not None and full:
            audit.note(request, obj)  # the form shows the full numbers (core.audit)
        identity = (
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "id_number" if full else "id_number_display",
            "phone" if full else "phone_display",
            "education",
        )
        return (
            (None, {"fields": identity}),
            (_("Organisation"), {"fields": ("organization", "employer", "user")}),
            (_("Development"), {"fields": ("stage", *STAGE_DATES, "status")}),
            (_("Identity and points"), {"fields": ("shows_identity", "service_commitment", "points")}),
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = ["id_number_display", "phone_display"]
        if not request.user.is_superuser:
            # The login is linked by the accounts process; stage, status and points change through
            # their recorded actions (members.actions), not by editing a field.
            readonly.append("user")
            if obj is not None:
                readonly += ["stage", *STAGE_DATES, "status", "points"]
        return readonly

    @admin.display(description=_("ID number"))
    def id_number_display(self, obj):
        return obj.id_number_masked

    @admin.display(description=_("mobile phone"))
    def phone_display(self, obj):
        return obj.phone_masked

    def get_historical_record_context_helper(self, request, historical_record):
        return MaskedHistoryHelper(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        """Saves the member and writes their membership history: a new member joined their
        organisation; a superuser's change of organisation or status is recorded as such."""
        before = Member.objects.filter(pk=obj.pk).values_list("organization_id", "status").first() if change else None
        super().save_model(request, obj, form, change)
        if before is None:
            actions.member_registered(member=obj, by=request.user)
        else:
            actions.membership_changed(
                member=obj,
                before_organization_id=before[0],
                before_status=before[1],
                by=request.user,
                note=MembershipEvent.CHANGED_IN_BACK_OFFICE,
            )

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for instance in instances:
            instance._history_user = request.user
            instance.save()
        for obj in formset.deleted_objects:
            obj.delete()
        formset.save_m2m()


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdmin):
    """Stage changes are written only by members.actions (as the inline above): read-only here."""

    list_display = (
        "member",
        "park",
        "kind",
        "from_stage",
        "to_stage",
        "effective_on",
        "changed_by",
        "created_at",
    )
    list_select_related = ("member__organization__park", "changed_by")
    list_filter = ("kind", "to_stage", ("member__organization__park", ScopedRelatedFieldListFilter))
    search_fields = ("member__name",)
    autocomplete_fields = ("member",)
    date_hierarchy = "effective_on"
    fields = (
        "member",
        "kind",
        "from_stage",
        "to_stage",
        "effective_on",
        reason_shown,
        "changed_by",
        "created_at",
    )
    readonly_fields = fields
    scope_park_path = "member__organization__park"

    @admin.display(description=_("park"), ordering="member__organization__park__name")
    def park(self, obj):
        return obj.member.organization.park or "—"


@admin.register(MembershipEvent)
class MembershipEventAdmin(ReadOnlyAdmin):
    """The membership history, written only by members.actions (as the inline above): read-only."""

    list_display = ("member", "kind", "organization", "on", note_shown, "recorded_by", "recorded_at")
    list_select_related = ("member", "organization", "recorded_by")
    list_filter = ("kind", ("organization__park", ScopedRelatedFieldListFilter))
    search_fields = ("member__name",)
    date_hierarchy = "on"
    fields = list_display
    readonly_fields = fields
    scope_park_path = "member__organization__park"


@admin.register(MemberLeave)
class MemberLeaveAdmin(ScopedAdmin):
    """Approved leave of members (flowing with an arrangement, abroad with leave)."""

    list_display = ("member", "kind", "starts_on", "ends_on", "recorded_by")
    list_select_related = ("member", "recorded_by")
    list_filter = ("kind", ("member__organization__park", ScopedRelatedFieldListFilter))
    search_fields = ("member__name",)
    autocomplete_fields = ("member",)
    date_hierarchy = "starts_on"
    fields = ("member", "kind", "starts_on", "ends_on", "arrangement", "recorded_by", "recorded_at")
    readonly_fields = ("recorded_by", "recorded_at")
    park_admin_permissions = ALL_PERMISSIONS
    scope_park_path = "member__organization__park"

    def save_model(self, request, obj, form, change):
        if obj.recorded_by_id is None:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


from . import admin_lifecycle  # noqa: E402,F401  (transfers, dues: read-only)
