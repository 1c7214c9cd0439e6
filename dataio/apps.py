from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "dataio"
    verbose_name = _("Imports and exports")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import media

        # An import's spreadsheet is reachable only by the job's uploader (ImportJob.visible_to).
        media.protect("imports/", "dataio.ImportJob", "file")
