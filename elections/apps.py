from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "elections"
    verbose_name = _("Elections and committees")

    def ready(self):
        """Registers with the layers below (docs/architecture.md): the editable term lengths with
        parks (whose Organization derives its term's end from them) and the approvers' home card."""
        from core import cards
        from parks import rules as park_rules

        from .selectors import term_years_table

        park_rules.use_term_years(term_years_table)
        cards.register("elections.home.elections_card", "elections/partials/home_card.html", order=48)
