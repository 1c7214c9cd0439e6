from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The shell: settings, the root URLconf, the API router, Celery, the home page and the menu.
    It holds no model (its old ones moved to accounts, notifications, reports and dataio)."""

    name = "portal"
