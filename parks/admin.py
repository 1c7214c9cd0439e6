"""Back office of parks, enterprises, organisations and rooms (scope and roles: portal.admin_base)."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin import ALL_PERMISSIONS, CHANGE, VIEW, ScopedAdmin, ScopedRelatedFieldListFilter
from core.admin_import import ResourceAdminMixin

from .models import TERM_WARNING_DAYS, District, Enterprise, Organization, Park, Room
from .resources import EnterpriseResource, OrganizationResource


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ("name", "city", "code")
    search_fields = ("name", "city", "code")
    park_admin_permissions = frozenset({VIEW})


@admin.register(Park)
class ParkAdmin(ScopedAdmin):
    list_display = ("name", "kind", "district", "address", "opened_on", "operator")
    list_select_related = ("district",)
    list_filter = ("kind", ("district", ScopedRelatedFieldListFilter))
    search_fields = ("name", "address", "operator")
    autocomplete_fields = ("district",)
    park_admin_permissions = frozenset({VIEW, CHANGE})  # their own park only, never add or delete
    scope_park_path = "pk"


@admin.register(Enterprise)
class EnterpriseAdmin(ResourceAdminMixin, ScopedAdmin):
    resource_classes = [EnterpriseResource]  # import/export: portal/dataio.py
    list_display = (
        "name",
        "credit_code",
        "park",
        "industry",
        "employee_count",
        "entered_on",
        "investor_is_member",
    )
    list_select_related = ("park",)
    list_filter = ("industry", "investor_is_member", ("park", ScopedRelatedFieldListFilter))
    search_fields = ("name", "=credit_code", "investor_name")
    autocomplete_fields = ("park",)
    park_admin_permissions = ALL_PERMISSIONS
    scope_park_path = "park"


class OrganizationTermFilter(admin.SimpleListFilter):
    title = _("term")
    parameter_name = "term"

    def lookups(self, request, model_admin):
        return [("expired", _("ended")), ("ending", _("ends within 90 days")), ("unknown", _("not recorded"))]

    def queryset(self, request, queryset):
        import datetime

        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(term_end__lt=today)
        if self.value() == "ending":
            return queryset.filter(term_end__gte=today, term_end__lte=today + datetime.timedelta(TERM_WARNING_DAYS))
        if self.value() == "unknown":
            return queryset.filter(term_end__isnull=True)
        return queryset


@admin.register(Organization)
class OrganizationAdmin(ResourceAdminMixin, ScopedAdmin):
    resource_classes = [OrganizationResource]
    list_display = (
        "name",
        "code",
        "kind",
        "formation",
        "park",
        "district",
        "parent",
        "secretary",
        "term_end",
        "term_display",
    )
    list_select_related = ("park", "district", "parent", "secretary")
    list_filter = (
        "kind",
        "formation",
        OrganizationTermFilter,
        ("district", ScopedRelatedFieldListFilter),
        ("park", ScopedRelatedFieldListFilter),
    )
    search_fields = ("name", "=code")
    autocomplete_fields = ("parent", "district", "park", "secretary", "enterprises")
    fieldsets = (
        (None, {"fields": ("name", "code", "kind", "formation", "parent", "district", "park")}),
        (_("Coverage and leadership"), {"fields": ("enterprises", "secretary")}),
        (_("Dates"), {"fields": ("founded_on", "term_start", "term_end")}),
    )
    # The end of the term follows from its start and the kind's length (parks.rules).
    readonly_fields = ("term_end",)
    park_admin_permissions = ALL_PERMISSIONS
    scope_park_path = "park"

    @admin.display(description=_("term"))
    def term_display(self, obj):
        return {
            "ok": _("running"),
            "ending": _("ends soon"),
            "expired": _("ended"),
            "unknown": "—",
        }[obj.term_status()]


@admin.register(Room)
class RoomAdmin(ScopedAdmin):
    list_display = ("name", "park", "capacity", "location", "is_active")
    list_select_related = ("park",)
    list_filter = ("is_active", ("park", ScopedRelatedFieldListFilter))
    search_fields = ("name", "location", "park__name")
    autocomplete_fields = ("park",)
    park_admin_permissions = ALL_PERMISSIONS
    scope_park_path = "park"
