"""The members app's home cards: the member's membership and the dates of their stages; the
secretary's development-pipeline deadlines."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import rules, selectors


def member_card(request, scope):
    if scope.member_id is None:
        return None
    member = selectors.member_profile(request.user, scope.member_id)
    if member is None:
        return None
    return {
        "title": _("My membership"),
        "member": member,
        "stage_dates": selectors.stage_dates(member),
        "dues": selectors.dues_summary(member),
        "shortcuts": [
            {"url": reverse("members:transfer_mine"), "icon": "arrow-left-right", "label": _("Transfer")},
            {"url": reverse("members:my_dues"), "icon": "cash-coin", "label": _("Dues")},
            {"url": reverse("activities:points"), "icon": "star", "label": _("Points")},
        ],
    }


def pipeline_card(request, scope):
    """The secretary's development-pipeline deadlines: every talk, year of training and end of
    probation in their organisations that is overdue or due within 30 days (members.rules)."""
    if not scope.org_ids:
        return None
    rows = selectors.pipeline_deadlines(scope.org_ids)
    for row in rows:
        row.url = reverse("members:member_lifecycle", args=[row.member.pk])
    return {
        "title": _("Development pipeline: deadlines"),
        "rows": rows,
        "within_days": rules.PIPELINE_WARNING_DAYS,
        "board_url": reverse("members:branch_home"),
    }
