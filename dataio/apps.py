from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "dataio"
    verbose_name = _("Imports and exports")

    def ready(self):
        from core import media

        # An import's spreadsheet is reachable only by the job's uploader (ImportJob.visible_to).
        media.protect("imports/", "dataio.ImportJob", "file")
