from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "dataio"
    verbose_name = _("Imports and exports")

    def ready(self):
        """Registers with the layers below (docs/architecture.md). The imports are here because
        models and the modules that use them load only once the app registry is ready."""
        from core import media

        # An import's spreadsheet holds plain ID numbers: once stored it is read only by the import
        # engine (dataio.jobs), never served, to anyone, and deleted when the job is over.
        media.seal("imports/", "dataio.ImportJob", "file")
        # Export files reach their owner only through the export job's download view.
        media.seal("exports/", "dataio.ExportJob", "file")
