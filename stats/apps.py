from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core.history import history_committed

        from . import home, warming

        home.register_cards()
        # After a write, the district dashboards' caches are refilled in the background.
        history_committed.connect(warming.schedule, dispatch_uid="stats.warming.schedule")
