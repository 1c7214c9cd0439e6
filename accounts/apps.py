from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Portal and roles")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import scope

        from . import signals  # noqa: F401  (keeps is_staff in step with the roles)
        from .scope import role_scope

        scope.register_builder(role_scope, order=10)
