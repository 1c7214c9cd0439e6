from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParksConfig(AppConfig):
    name = "parks"
    verbose_name = _("Parks and organisations")

    def ready(self):
        from core import scope

        from .models import organization_scope

        scope.register_builder(organization_scope, order=20)
