"""The base of every model admin: scope, role permissions and a cheap paginator.

Every ``ModelAdmin`` of every app subclasses ``ScopedAdmin`` (and every inline ``ScopedInline``):

* the rows are ``Model.objects.visible_to(request.user)`` — the one scope rule of the model, so the
  changelist, the change view (an out-of-scope id is "not found"), bulk actions, the history
  pages and the autocomplete search of a related field (Django's ``AutocompleteJsonView`` asks the
  *related* model's admin for ``get_queryset`` and ``get_search_results``) all see the same rows;
* the choices of foreign keys and many-to-many fields are the related model's ``visible_to(user)``,
  so a crafted POST naming a row outside the scope fails validation like any bad choice;
* permissions follow roles, not Django's model permissions: a superuser may do everything; a park
  administrator (``is_staff`` and a PARK_ADMIN assignment) may do what the admin class lists in
  ``park_admin_permissions``, and may write only rows whose park (``scope_park_path``) is one of
  their parks — checked on the object and again in the form, so a park chosen by a crafted POST
  gives a form error instead of a save; nobody else gets into the admin;
* ``show_full_result_count = False`` and ``EstimatedCountPaginator`` (see there);
* every add form carries a token and adds once however often it is sent (``add_view``,
  ``core.idempotency``), like the portal's create forms.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import pagination
from core.idempotency import idempotent_form
from core.scope import scope_for

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL_PERMISSIONS = frozenset({VIEW, ADD, CHANGE, DELETE})

# Below this many rows an exact COUNT is cheap enough and exact page numbers are nicer.
ESTIMATE_THRESHOLD = pagination.ESTIMATE_THRESHOLD

#: PostgreSQL's estimate of the rows of an *unfiltered* queryset (core.pagination).
estimated_row_count = pagination.table_row_estimate


class EstimatedCountPaginator(pagination.EstimatedCountPaginator):
    """core.pagination's paginator, estimating *unfiltered* lists only.

    Django's admin asks the paginator for ``count`` on every changelist page; for an unfiltered
    list (the superuser's default view) we use the table statistics when they say the table is
    large. A filtered queryset gets no estimate: the filters the admin applies (a park's rows, a
    search) are selective and indexed, so their exact count is affordable.
    """

    estimate_filtered = False

    def threshold(self):
        return ESTIMATE_THRESHOLD


def is_park_admin(user) -> bool:
    return bool(user.is_active and user.is_staff and scope_for(user).is_park_admin)


def may_enter_admin(user) -> bool:
    """Superusers and park administrators, nobody else."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or is_park_admin(user)


def resolve_path(obj, path):
    """Follow ``a__b__c`` from ``obj`` through attributes; None when a link is missing."""
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, part, None)
    return value


def _as_pk(value):
    return getattr(value, "pk", value)


class ScopedMixin:
    """What ScopedAdmin and ScopedInline share: scoped rows, choices and role permissions."""

    #: What a park administrator may do with this model (within their parks).
    park_admin_permissions: frozenset = frozenset()
    #: Path from the model to the park id that decides whether a park administrator may write a
    #: row ("park", "organization__park", "pk" for Park itself). None: only superusers write.
    scope_park_path: str | None = None

    # -- rows -------------------------------------------------------------------------------
    def get_queryset(self, request):
        manager = self.model._default_manager
        if hasattr(manager, "visible_to"):
            qs = manager.visible_to(request.user)
        else:  # a model without a scope rule (e.g. auth.User): superusers only
            qs = manager.all() if request.user.is_superuser else manager.none()
        ordering = self.get_ordering(request)
        if ordering:
            qs = qs.order_by(*ordering)
        return qs

    # -- choices ----------------------------------------------------------------------------
    def scoped_choices(self, request, model, db_field=None):
        """The related model's visible rows, plus the values the edited object already holds.

        Keeping the current values means that editing a branch whose parent is a district-wide
        committee (outside a park administrator's rows) does not fail on "select a valid
        choice" nor silently drop an enterprise of a joint branch; no other row can be chosen.
        """
        manager = model._default_manager
        if hasattr(manager, "visible_to"):
            visible = manager.visible_to(request.user)
        else:
            visible = manager.all() if request.user.is_superuser else manager.none()
        if request.user.is_superuser or db_field is None:
            return visible
        current = self._current_values(request, db_field)
        if not current:
            return visible
        return manager.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=current))

    def _current_values(self, request, db_field):
        obj = getattr(request, "_hongfan_admin_obj", None)
        if obj is None or obj.pk is None or not isinstance(obj, self.model):
            return []
        if db_field.many_to_many:
            return list(getattr(obj, db_field.name).values_list("pk", flat=True))
        value = getattr(obj, db_field.attname, None)
        return [value] if value is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.scoped_choices(request, db_field.remote_field.model, db_field)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self.scoped_choices(request, db_field.remote_field.model, db_field)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # -- permissions ------------------------------------------------------------------------
    def role_allows(self, request, action) -> bool:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return True
        return action in self.park_admin_permissions and is_park_admin(user)

    def park_id_of(self, obj):
        if self.scope_park_path is None or obj is None:
            return None
        if self.scope_park_path == "pk":
            return obj.pk
        return _as_pk(resolve_path(obj, self.scope_park_path))

    def may_write(self, request, obj) -> bool:
        """A superuser may write anything; a park administrator rows of their parks only."""
        if request.user.is_superuser:
            return True
        if obj is None:
            return True
        return self.park_id_of(obj) in scope_for(request.user).park_ids


class ScopedAdmin(ScopedMixin, SimpleHistoryAdmin):
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # The add form carries a token so that a double submit adds once (``add_view``).
    change_form_template = "admin/idempotent_change_form.html"

    def add_view(self, request, form_url="", extra_context=None):
        """Django's add view, once per form token (``core.idempotency.idempotent_form``): a second
        POST of the same form (a double click, "send again") goes where the first one went."""
        return idempotent_form(super().add_view)(request, form_url, extra_context)

    def has_module_permission(self, request):
        return any(self.role_allows(request, action) for action in ALL_PERMISSIONS)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW) or self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self.role_allows(request, ADD)

    def has_change_permission(self, request, obj=None):
        return self.role_allows(request, CHANGE) and self.may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.role_allows(request, DELETE) and self.may_write(request, obj)

    def delete_queryset(self, request, queryset):
        # The bulk "delete selected" action checks the model permission only; a user who also
        # reads other parks (e.g. a park administrator who is a district official) must not
        # delete their rows.
        if not request.user.is_superuser and not all(self.may_write(request, obj) for obj in queryset):
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    # -- forms: refuse a save into another park -----------------------------------------------
    def get_form(self, request, obj=None, change=False, **kwargs):
        request._hongfan_admin_obj = obj  # for scoped_choices; the request is this thread's own
        form = super().get_form(request, obj, change=change, **kwargs)
        return scoped_form(form, self, request)

    def check_form_scope(self, request, form):
        """Raise ValidationError when the object the form would save lies outside the scope."""
        if request.user.is_superuser or self.scope_park_path is None:
            return
        park_ids = scope_for(request.user).park_ids
        first = self.scope_park_path.split("__", 1)[0]
        if self.scope_park_path == "pk":
            park_id = form.instance.pk
        else:
            if first in form.cleaned_data:
                start = form.cleaned_data[first]
            elif first in getattr(form, "fields", {}):
                return  # the field itself failed validation; its error is already shown
            else:
                start = getattr(form.instance, first, None)
            rest = self.scope_park_path.split("__", 1)[1:]
            value = resolve_path(start, rest[0]) if rest and start is not None else start
            park_id = _as_pk(value)
        if park_id not in park_ids:
            message = _("You may only save records of your own park.")
            if first in form.fields:
                raise ValidationError({first: message})
            raise ValidationError(message)

    # -- history: the same rows as the changelist ---------------------------------------------
    def _require_in_scope(self, request, object_id):
        if request.user.is_superuser:
            return  # superusers may also read the history of deleted rows
        from django.contrib.admin.utils import unquote

        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404(_("No such record."))

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


def scoped_form(form_class, model_admin, request):
    """A subclass of ``form_class`` whose ``clean`` runs the admin's scope check."""

    def clean(self):
        cleaned_data = super(new_class, self).clean()
        model_admin.check_form_scope(request, self)
        return cleaned_data

    new_class = type(form_class.__name__, (form_class,), {"clean": clean, "__module__": form_class.__module__})
    return new_class


class ReadOnlyMixin:
    """For records written only by actions (steps, ledgers): the back office shows them."""

    park_admin_permissions = frozenset({VIEW})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, ScopedAdmin):
    pass


class ScopedInline(ScopedMixin, admin.TabularInline):
    """An inline whose rows belong to the parent: permissions follow the parent object."""

    extra = 0

    def _parent_allows(self, request, action, obj):
        return self.role_allows(request, action) and self.may_write_parent(request, obj)

    def may_write_parent(self, request, obj):
        if request.user.is_superuser or obj is None:
            return True
        parent_admin = self.admin_site._registry.get(self.parent_model)
        return parent_admin.may_write(request, obj) if parent_admin else False

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW) or self.has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_allows(request, ADD, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_allows(request, CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_allows(request, DELETE, obj)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter whose choices are the related model's ``visible_to(user)``.

    Django's own filter lists every row of the related model, which would show a park
    administrator the names of other parks. With a single choice the filter hides itself.
    """

    def field_choices(self, field, request, model_admin):
        related_model = field.remote_field.model
        manager = related_model._default_manager
        qs = manager.visible_to(request.user) if hasattr(manager, "visible_to") else manager.none()
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            qs = qs.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in qs]


# --- the audit of sensitive reads (core.audit): read-only, never deleted here ----------------------


class SensitiveReadAdmin(ReadOnlyMixin, ScopedMixin, admin.ModelAdmin):
    """Who saw full ID numbers: park administrators their park's rows, superusers all. Nobody adds,
    changes or deletes a row here (the retention purge is the only deletion)."""

    list_display = ("at", "reader_name", "kind", "where", "member", "member_count", "park_id", "reason")
    list_filter = ("kind",)
    search_fields = ("reader_name", "where")
    date_hierarchy = "at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 100

    def has_module_permission(self, request):
        return self.role_allows(request, VIEW)

    def has_view_permission(self, request, obj=None):
        return self.role_allows(request, VIEW)

    def get_actions(self, request):
        return {}  # no "delete selected"

    @admin.display(description=_("member"), ordering="member_id")
    def member(self, obj):
        if obj.member_id is None:
            return "—"
        try:
            url = reverse("admin:members_member_change", args=[obj.member_id])
        except NoReverseMatch:
            return obj.member_id
        return format_html('<a href="{}">{}</a>', url, obj.member_id)


def _register_sensitive_reads():
    from .models import SensitiveRead

    if not admin.site.is_registered(SensitiveRead):
        admin.site.register(SensitiveRead, SensitiveReadAdmin)


_register_sensitive_reads()
