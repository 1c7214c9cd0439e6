from django.conf import settings
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from core.scope import scope_for
from notifications.selectors import unread_notification_count

from .navigation import items_for, menu_entries


def _role_labels(scope) -> list:
    labels = []
    if scope.superuser:
        labels.append(_("superuser"))
    for held, role in (
        (scope.district_ids, Role.DISTRICT_OFFICIAL),
        (scope.park_ids, Role.PARK_ADMIN),
        (scope.org_ids, Role.BRANCH_SECRETARY),
        (scope.service_park_ids, Role.SERVICE_STAFF),
    ):
        if held:
            labels.append(role.label)
    if scope.member_id is not None:
        labels.append(_("member"))
    return labels


def portal(request):
    user = getattr(request, "user", None)
    scope = scope_for(user) if user is not None else None
    context = {"PORTAL_NAME": settings.PORTAL_NAME, "scope": scope, "nav_items": [], "user_roles": []}
    if scope is None or not user.is_authenticated:
        return context
    path = request.path
    nav_items = []
    for item in items_for(scope):
        url = item["url"]
        active = path == url if url == "/" else path.startswith(url)
        nav_items.append({**item, "active": active})
    context["nav_items"] = [item for item in nav_items if item["group"] not in ("mine", "account")]
    context["nav_entries"] = menu_entries(context["nav_items"])
    context["nav_mine"] = [item for item in nav_items if item["group"] == "mine"]
    context["nav_account"] = [item for item in nav_items if item["group"] == "account"]
    context["user_roles"] = _role_labels(scope)
    # One COUNT, and only when a template shows the bell.
    context["unread_notifications"] = SimpleLazyObject(lambda: unread_notification_count(user))
    return context
