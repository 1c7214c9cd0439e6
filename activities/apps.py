from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Organisation life")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import cards, importing, media
        from members.selectors import register_organisation_life

        from .resources import AttendanceResource
        from .selectors import last_organisation_life, organisation_life_since

        importing.register(AttendanceResource)

        cards.register("activities.home.branch_requirements", "activities/partials/home_card.html", order=45)
        media.protect("activities/", "activities.ActivityFile", "file")
        register_organisation_life(last_organisation_life, organisation_life_since)
