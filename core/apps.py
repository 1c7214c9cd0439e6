from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


def _check_date_bounds(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata writes fixtures as they are
        return
    from core.validators import check_date_bounds

    check_date_bounds(instance)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Foundation")

    def ready(self):
        # Every save checks the model's date ranges (core/validators.py, DateRange): whichever door
        # a write comes through, a date the pages cannot render is refused with a field message.
        pre_save.connect(_check_date_bounds, dispatch_uid="core.check_date_bounds")
