"""Back office for elections: superusers edit the term lengths (TermRule, bounded 1–5 years);
elections and their seats are read-only (recorded and decided on the election pages, through
elections.actions), park administrators see their park's."""

from django.contrib import admin

from core.admin import VIEW, ReadOnlyAdmin, ReadOnlyMixin, ScopedAdmin, ScopedInline, ScopedRelatedFieldListFilter

from .models import CommitteeSeat, Election, TermRule


@admin.register(TermRule)
class TermRuleAdmin(ScopedAdmin):
    """Shared reference data: superusers edit, park administrators read."""

    list_display = ("kind", "years")
    list_editable = ("years",)
    park_admin_permissions = frozenset({VIEW})

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class CommitteeSeatInline(ReadOnlyMixin, ScopedInline):
    model = CommitteeSeat
    fields = ("member", "post", "votes")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW)


@admin.register(Election)
class ElectionAdmin(ReadOnlyAdmin):
    list_display = ("organization", "held_on", "method", "status", "term_end", "decided_at")
    list_filter = ("status", "method", ("organization__park", ScopedRelatedFieldListFilter))
    search_fields = ("organization__name", "=organization__code")
    list_select_related = ("organization",)
    date_hierarchy = "held_on"
    inlines = [CommitteeSeatInline]
    scope_park_path = "organization__park"
