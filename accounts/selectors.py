"""Reads of roles: which roles a park administrator may hand out, to whom, over which park."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from core.scope import scope_for

from .models import Role

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
