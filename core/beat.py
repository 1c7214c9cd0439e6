"""The beat scheduler: django_celery_beat's DatabaseScheduler that notes each tick in the cache.

``/health/`` (core/ops.py) reads the time of the last tick from the shared cache: a beat that
stopped ticking (hung, or its container gone) shows as ``beat: error`` after
``HONGFAN_BEAT_STALE_SECONDS``. Run as ``celery -A portal beat --scheduler core.beat:Scheduler``.
"""

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)


def record_tick(now=None):
    from django.core.cache import cache

    from core.ops import BEAT_TICK_KEY

    cache.set(BEAT_TICK_KEY, now if now is not None else time.time(), timeout=24 * 3600)


class Scheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        try:
            record_tick()
        except Exception:  # noqa: BLE001 - a cache outage must not stop the schedule
            logger.warning("beat tick not recorded", exc_info=True)
        return interval
