from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


def _check_bounds(sender, instance, raw=False, **kwargs):
    if raw:  # loaddata writes fixtures as they are
        return
    from core.validators import check_bounds

    check_bounds(instance)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Foundation")

    def ready(self):
        # Every save checks the model's text maxima and date ranges (core/validators.py): whichever
        # door a write comes through, a text too long or a date the pages cannot render is refused
        # with a field message (on SQLite too, which does not enforce a varchar's length).
        pre_save.connect(_check_bounds, dispatch_uid="core.check_bounds")
        # The request id in Celery tasks and their logs, the tasks' Prometheus metrics (core/logs.py,
        # core/taskmetrics.py), and the deploy checks of the shared state (core/checks.py).
        from core import checks, logs, taskmetrics  # noqa: F401

        logs.connect_celery_signals()
        taskmetrics.connect_celery_signals()

        # Each commit that writes history rows is counted per model (core.history.history_written):
        # a part of the versions the cached figures are kept under.
        from simple_history.signals import post_create_historical_record

        from .history import _history_row_written

        post_create_historical_record.connect(_history_row_written, dispatch_uid="core.history_written")

        from . import cards

        # The superuser's count of full-ID-number reads (core.audit).
        cards.register("core.audit.home_card", "core/partials/card_audit.html", order=12)
