"""Back office of notifications: read-only, for superusers."""

from django.contrib import admin

from core.admin import EstimatedCountPaginator

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only, for superusers: messages are created by ``notifications.actions.notify`` only."""

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
