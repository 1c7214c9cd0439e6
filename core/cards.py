"""The home page's cards: a small registry that any feature extends with one line.

A *card provider* is a function ``provider(request, scope) -> dict | None``:

* ``request`` is the current request (``request.user`` is logged in), ``scope`` is
  ``core.scope.scope_for(request.user)``;
* it returns ``None`` when the card does not apply to this user (e.g. the user lacks the role), or
  a dict that becomes the variable ``card`` of its template;
* it reads through selectors and ``visible_to(user)``, with a number of queries that does not grow
  with the data (the home page's query count is under test).

The template is an ``{% include %}`` fragment rendering ONE Bootstrap column, e.g.::

    <div class="col-12 col-lg-6">
      <div class="card h-100 shadow-sm"><div class="card-body">…{{ card.title }}…</div></div>
    </div>

To add a card, call ``register(function_or_path, template, order=...)`` from your app's
``AppConfig.ready()`` (a dotted path is imported on first use)::

    cards.register("activities.home.branch_requirements", "activities/partials/home_card.html", order=45)

Cards are shown in increasing ``order`` (ties keep registration order). The role cards (stats/home.py,
members/home.py) use 10–60.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string


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


PROVIDERS: list[CardProvider] = []


def register(func: str | Callable, template: str, *, order: int = 100) -> None:
    """Add a card provider (once: registering the same function again changes nothing)."""
    if any(p.func == func and p.template == template for p in PROVIDERS):
        return
    PROVIDERS.append(CardProvider(func, template, order))


def cards_for(request, scope) -> list[dict]:
    """The cards of this user's home page: ``[{"template": ..., "card": {...}}, ...]`` in order."""
    cards = []
    for provider in sorted(PROVIDERS, key=lambda p: p.order):
        context = provider.resolve()(request, scope)
        if context is not None:
            cards.append({"template": provider.template, "card": context})
    return cards
