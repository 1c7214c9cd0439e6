from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from . import home

        home.register_cards()
