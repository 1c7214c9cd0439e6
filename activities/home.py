"""The home-page card of a branch secretary: what the rules still require this period."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import selectors


def branch_requirements(request, scope):
    if not scope.org_ids:
        return None
    today = timezone.localdate()
    organizations = selectors.compliance_organizations(request.user).filter(pk__in=scope.org_ids)
    branches = selectors.compliance(organizations, year=today.year, today=today)
    if not branches:
        return None
    return {"title": _("What the rules still require of your branch"), "branches": branches}
