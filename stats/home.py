"""The home page's role cards: what a superuser, an official, a park administrator, a secretary
and service staff see of their scope at a glance (figures from ``stats.selectors``)."""

from django.utils.translation import gettext_lazy as _

from core import cards
from core.cards import admin_changelist, url_or_none

from . import selectors


def superuser_card(request, scope):
    if not scope.superuser:
        return None
    return {
        "title": _("Whole portal"),
        "counts": selectors.overall_counts(request.user),
        "admin_url": url_or_none("admin:index"),
    }


def district_card(request, scope):
    if not scope.district_ids:
        return None
    districts = selectors.district_summaries(request.user, scope.district_ids)
    return {"title": _("Your district"), "districts": districts}


def park_admin_card(request, scope):
    if not scope.park_ids:
        return None
    parks = selectors.park_summaries(request.user, scope.park_ids)
    for park in parks:
        pk = park["park"].pk
        park["links"] = {
            "enterprises": admin_changelist(request.user, "parks", "enterprise", park__id__exact=pk),
            "organizations": admin_changelist(request.user, "parks", "organization", park__id__exact=pk),
            "members": admin_changelist(request.user, "members", "member", organization__park__id__exact=pk),
            "rooms": admin_changelist(request.user, "parks", "room", park__id__exact=pk),
        }
    return {"title": _("Your park"), "parks": parks}


def secretary_card(request, scope):
    if not scope.org_ids:
        return None
    return {
        "title": _("Your party organisation"),
        "organizations": selectors.organization_summaries(request.user, scope.org_ids),
    }


def service_staff_card(request, scope):
    if not scope.service_park_ids:
        return None
    return {
        "title": _("Your service centre"),
        "parks": selectors.park_summaries(request.user, scope.service_park_ids),
    }


def dashboard_card(request, scope):
    """A link to the district or park dashboard (no query: /dashboard/ finds the user's own)."""
    if not (scope.superuser or scope.is_official or scope.is_park_admin):
        return None
    return {"title": _("Dashboard"), "url": url_or_none("dashboard_home")}


def register_cards() -> None:
    cards.register(superuser_card, "portal/partials/card_superuser.html", order=10)
    cards.register(dashboard_card, "portal/partials/card_dashboard.html", order=15)
    cards.register(district_card, "portal/partials/card_district.html", order=20)
    cards.register(park_admin_card, "portal/partials/card_park.html", order=30)
    cards.register(secretary_card, "portal/partials/card_organization.html", order=40)
    cards.register(service_staff_card, "portal/partials/card_service.html", order=50)
