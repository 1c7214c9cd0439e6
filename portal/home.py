"""The home page's cards: a small registry that any feature extends with one line.

A *card provider* is a function ``provider(request, scope) -> dict | None``:

* ``request`` is the current request (``request.user`` is logged in), ``scope`` is
  ``portal.scope.scope_for(request.user)``;
* it returns ``None`` when the card does not apply to this user (e.g. the user lacks the role), or
  a dict that becomes the variable ``card`` of its template;
* it reads through selectors and ``visible_to(user)``, with a number of queries that does not grow
  with the data (the home page's query count is under test).

The template is an ``{% include %}`` fragment rendering ONE Bootstrap column, e.g.::

    <div class="col-12 col-lg-6">
      <div class="card h-100 shadow-sm"><div class="card-body">…{{ card.title }}…</div></div>
    </div>

To add a card, append one line to ``PROVIDERS`` below (the function may be given as a dotted path,
imported on first use, so no import cycle arises)::

    CardProvider("activities.home.branch_requirements", "activities/partials/home_card.html", order=40),

or call ``register(function_or_path, template, order=...)`` from your AppConfig.ready(). Cards are
shown in increasing ``order`` (ties keep registration order). The built-in role cards use 10–60.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from . import selectors


@dataclass(frozen=True)
class CardProvider:
    func: str | Callable
    template: str
    order: int = 100

    def resolve(self) -> Callable:
        return import_string(self.func) if isinstance(self.func, str) else self.func


def admin_changelist(user, app_label: str, model_name: str, **filters) -> str | None:
    """The admin changelist URL (with lookup filters) when the user may use the back office."""
    if not user.is_staff:
        return None
    try:
        url = reverse(f"admin:{app_label}_{model_name}_changelist")
    except NoReverseMatch:  # the model is not registered in the admin (yet)
        return None
    if filters:
        url += "?" + "&".join(f"{key}={value}" for key, value in filters.items())
    return url


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- the built-in cards, one per role -------------------------------------------------------------


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


def member_card(request, scope):
    if scope.member_id is None:
        return None
    member = selectors.member_profile(request.user, scope.member_id)
    if member is None:
        return None
    return {"title": _("My membership"), "member": member, "stage_dates": selectors.stage_dates(member)}


def dashboard_card(request, scope):
    """A link to the district or park dashboard (no query: /dashboard/ finds the user's own)."""
    if not (scope.superuser or scope.is_official or scope.is_park_admin):
        return None
    return {"title": _("Dashboard"), "url": url_or_none("dashboard_home")}


PROVIDERS: list[CardProvider] = [
    CardProvider(superuser_card, "portal/partials/card_superuser.html", order=10),
    CardProvider(district_card, "portal/partials/card_district.html", order=20),
    CardProvider(park_admin_card, "portal/partials/card_park.html", order=30),
    CardProvider(secretary_card, "portal/partials/card_organization.html", order=40),
    CardProvider(service_staff_card, "portal/partials/card_service.html", order=50),
    CardProvider(member_card, "portal/partials/card_member.html", order=60),
    CardProvider(dashboard_card, "portal/partials/card_dashboard.html", order=15),
]


def register(func: str | Callable, template: str, *, order: int = 100) -> None:
    """Add a card provider (for apps that prefer AppConfig.ready() to a line in PROVIDERS)."""
    PROVIDERS.append(CardProvider(func, template, order))


def cards_for(request, scope) -> list[dict]:
    """The cards of this user's home page: ``[{"template": ..., "card": {...}}, ...]`` in order."""
    cards = []
    for provider in sorted(PROVIDERS, key=lambda p: p.order):
        context = provider.resolve()(request, scope)
        if context is not None:
            cards.append({"template": provider.template, "card": context})
    return cards

