from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("Party-mass service centre")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import cards, media

        cards.register("services.home.service_centre", "services/partials/home_card.html", order=55)
        media.protect("services/requests/", "services.ServiceRequestEvent", "attachment")
        media.protect("services/wishes/", "services.Wish", "photo")
