from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParksConfig(AppConfig):
    name = "parks"
    verbose_name = _("Parks and organisations")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import importing, scope

        from .models import organization_scope
        from .resources import EnterpriseResource, OrganizationResource

        scope.register_builder(organization_scope, order=20)
        importing.register(EnterpriseResource)
        importing.register(OrganizationResource)
