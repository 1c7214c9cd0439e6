"""Celery tasks of the statistics app: thin wrappers around stats.warming."""

from celery import shared_task

from . import warming


@shared_task(name="stats.tasks.warm_dashboards", ignore_result=True, acks_late=True)
def warm_dashboards():
    """Refill the district dashboards' caches after a write (stats.warming). Read-only, so a
    duplicate or a retry does no harm."""
    return warming.warm()
