"""The home card of elections: for the level above, the elections awaiting approval; for a
secretary, the term of their organisations."""

from django.utils.translation import gettext_lazy as _

from . import selectors


def elections_card(request, scope):
    if not (scope.superuser or scope.is_official or scope.is_park_admin or scope.is_secretary):
        return None
    pending = selectors.pending_elections(request.user).count()
    own = []
    if scope.is_secretary:
        organizations = list(
            selectors.recordable_organizations(request.user).filter(pk__in=scope.org_ids).order_by("pk")[:5]
        )
        current = selectors.current_elections([org.pk for org in organizations])
        own = [{"organization": org, "election": current.get(org.pk)} for org in organizations]
    if not pending and not own:
        return None
    return {"title": _("Elections and terms"), "pending": pending, "own": own}
