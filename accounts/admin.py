"""Back office of accounts: role assignments and users (users for superusers only)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.admin import (
    ADD,
    DELETE,
    VIEW,
    EstimatedCountPaginator,
    ScopedAdmin,
    ScopedInline,
    ScopedRelatedFieldListFilter,
)

from .actions import role_grant, role_revoke, token_revoke
from .models import ApiToken, RoleAssignment
from .selectors import PARK_ADMIN_GRANTABLE, grant_errors, grantable_users, may_revoke

User = get_user_model()


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    list_display = ("user", "role", "scope_display", "created_at")
    list_select_related = ("user", "user__member", "district", "park", "organization")  # __str__ names the person
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
        return grantable_users(request.user)

    def may_write(self, request, obj):
        return obj is None or may_revoke(request.user, obj)

    def check_form_scope(self, request, form):
        errors = grant_errors(
            request.user,
            role=form.cleaned_data.get("role"),
            park=form.cleaned_data.get("park"),
            organization=form.cleaned_data.get("organization"),
        )
        if errors:
            raise ValidationError(errors)

    # Writes go through the actions (the form has been checked against the same rules).
    def save_model(self, request, obj, form, change):
        if change:  # only superusers edit (park administrators remove and assign again)
            super().save_model(request, obj, form, change)
            return
        granted = role_grant(
            by=request.user,
            user=obj.user,
            role=obj.role,
            district=obj.district,
            park=obj.park,
            organization=obj.organization,
        )
        obj.pk = granted.pk

    def delete_model(self, request, obj):
        role_revoke(by=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():  # all of them or none
            for assignment in queryset:
                role_revoke(by=request.user, assignment=assignment)


class RoleAssignmentInline(ScopedInline):
    model = RoleAssignment
    fk_name = "user"
    fields = ("role", "district", "park", "organization", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("district", "park", "organization")


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


# API tokens: created by their owner on the token page only (the key is shown to them once and
# stored as a digest); the back office lists who has one and revokes it, through the same action.
@admin.register(ApiToken)
class TokenAdmin(admin.ModelAdmin):
    list_display = ("user", "key_hint", "created")
    fields = ("user", "key_hint", "created")
    readonly_fields = fields
    search_fields = ("user__username",)

    @admin.display(description=_("key"))
    def key_hint(self, obj):
        return f"{obj.prefix}…"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def delete_model(self, request, obj):
        token_revoke(user=obj.user)

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            token_revoke(user=token.user)
