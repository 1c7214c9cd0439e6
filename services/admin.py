"""Back office of the service centre.

The catalogue, teams and enterprise contacts are edited here; requests, wishes and bookings are
read-only, because every change of their state is a workflow step of ``services.actions`` taken
on the portal's pages (never a free edit of a status field).
"""

from django.contrib import admin

from core.admin import ADD, CHANGE, DELETE, VIEW, ReadOnlyAdmin, ScopedAdmin, ScopedInline

from .models import (
    EnterpriseContact,
    RoomBooking,
    ServiceCategory,
    ServiceRequest,
    ServiceRequestEvent,
    ServiceTeam,
    Wish,
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ScopedAdmin):
    list_display = ("name", "name_en", "code", "position", "is_active")
    list_editable = ("position", "is_active")
    search_fields = ("name", "name_en", "code")


@admin.register(EnterpriseContact)
class EnterpriseContactAdmin(ScopedAdmin):
    park_admin_permissions = frozenset({VIEW, DELETE})
    scope_park_path = "enterprise__park"
    list_display = ("user", "enterprise", "position", "created_at")
    list_select_related = ("user", "user__member", "enterprise")  # __str__ names the person
    search_fields = ("user__username", "enterprise__name")
    autocomplete_fields = ("enterprise",)


@admin.register(ServiceTeam)
class ServiceTeamAdmin(ScopedAdmin):
    park_admin_permissions = frozenset({VIEW, ADD, CHANGE, DELETE})
    scope_park_path = "park"
    list_display = ("name", "park", "kind", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("park",)
    search_fields = ("name",)
    filter_horizontal = ("members",)


class EventInline(ScopedInline):
    model = ServiceRequestEvent
    fields = ("created_at", "kind", "actor", "text", "attachment", "status_after")
    readonly_fields = fields
    can_delete = False
    park_admin_permissions = frozenset({VIEW})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "park", "category", "status", "urgency", "due_on", "team", "rating")
    list_filter = ("status", "urgency", "category")
    list_select_related = ("park", "category", "team", "team__park")
    search_fields = ("title", "description")
    date_hierarchy = "created_at"
    inlines = [EventInline]


@admin.register(Wish)
class WishAdmin(ReadOnlyAdmin):
    list_display = ("beneficiary", "need", "park", "status", "claimed_by", "fulfilled_at")
    list_filter = ("status",)
    list_select_related = ("park", "claimed_by")


@admin.register(RoomBooking)
class RoomBookingAdmin(ReadOnlyAdmin):
    list_display = ("room", "starts_at", "ends_at", "status", "booked_by", "purpose")
    list_filter = ("status",)
    list_select_related = ("room", "room__park", "booked_by")
    date_hierarchy = "starts_at"
