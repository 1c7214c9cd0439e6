from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell: settings, the root URLconf, the API router, Celery, the home page and the menu.
    It holds no model (its old ones moved to accounts, notifications, reports and dataio)."""

    name = "portal"

    def ready(self):
        from django.apps import apps
        from django.utils.translation import gettext_lazy as _

        # django-axes names its app "Axes" (from its label), which no catalogue translates.
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Login protection")
