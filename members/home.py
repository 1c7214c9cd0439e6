"""The member's home card: their membership and the dates of their stages."""

from django.utils.translation import gettext_lazy as _

from . import selectors


def member_card(request, scope):
    if scope.member_id is None:
        return None
    member = selectors.member_profile(request.user, scope.member_id)
    if member is None:
        return None
    return {"title": _("My membership"), "member": member, "stage_dates": selectors.stage_dates(member)}
