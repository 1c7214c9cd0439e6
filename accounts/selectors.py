"""The rules of handing out roles: which roles a park administrator may grant or revoke, to whom,
over which park. A superuser grants any role to anyone. ``accounts.actions`` enforces them; the
back office and the API use them to offer only what will be accepted."""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.querysets import CHANGE
from core.scope import scope_for

from .models import Role, RoleAssignment

# The roles a park administrator may hand out, within their own park.
PARK_ADMIN_GRANTABLE = (Role.BRANCH_SECRETARY, Role.SERVICE_STAFF)


def assignment_park_id(assignment):
    if assignment.role == Role.SERVICE_STAFF:
        return assignment.park_id
    if assignment.role == Role.BRANCH_SECRETARY and assignment.organization is not None:
        return assignment.organization.park_id
    return None


def grantable_users(user):
    """Who ``user`` may give a role to: anyone active for a superuser; for a park administrator the
    members of their park and its role holders; nobody for anyone else."""
    User = get_user_model()
    if user.is_superuser:
        return User.objects.filter(is_active=True)
    park_ids = scope_for(user).park_ids
    if not park_ids:
        return User.objects.none()
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


def grant_errors(by, *, role, park=None, organization=None) -> dict:
    """Why ``by`` may not grant ``role`` over this park or organisation: ``{field: message}``,
    empty when they may."""
    scope = scope_for(by)
    if scope.superuser:
        return {}
    if role not in PARK_ADMIN_GRANTABLE or not scope.park_ids:
        return {"role": _("You may only assign branch secretaries and service staff.")}
    if role == Role.SERVICE_STAFF and park is not None and park.pk not in scope.park_ids:
        return {"park": _("You may only save records of your own park.")}
    if role == Role.BRANCH_SECRETARY and organization is not None and organization.park_id not in scope.park_ids:
        return {"organization": _("You may only save records of your own park.")}
    return {}


def may_revoke(by, assignment) -> bool:
    """A superuser any assignment; a park administrator those they could have granted (the
    assignments' "change" scope)."""
    return RoleAssignment.objects.allows(by, assignment, CHANGE)
