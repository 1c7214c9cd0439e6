"""What every members action shares: the date helpers and who acts for an organisation."""

import datetime

from django.utils import timezone

from accounts.models import Role, RoleAssignment
from core.querysets import CHANGE

from ..models import Member
from ..rules import add_months  # noqa: F401  (re-exported: members.actions.add_months)


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def today() -> datetime.date:
    return timezone.localdate()


def may_act_for(user, organization) -> bool:
    """Whether ``user`` acts for ``organization``: its secretary (or of a unit above it), the
    administrator of its park, or a superuser."""
    if organization is None or user is None or not user.is_authenticated:
        return False
    return Member.objects.allows(user, Member(organization=organization), CHANGE)  # the members' "change"


def is_member_themself(user, member) -> bool:
    return user is not None and user.is_authenticated and member.user_id == user.pk


def secretaries_of(organization):
    """The users who act for ``organization``: secretaries of it and of the units above it."""
    if organization is None:
        return []
    org_ids, node = [], organization
    while node is not None and len(org_ids) < 10:
        org_ids.append(node.pk)
        node = node.parent
    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            role=Role.BRANCH_SECRETARY, organization_id__in=org_ids, user__is_active=True
        ).select_related("user")
    ]


def lock_member(member) -> Member:
    """Re-read ``member`` under a row lock (with its organisation, for the checks of who may act)."""
    return Member.objects.select_for_update(of=("self",)).select_related("organization").get(pk=member.pk)
