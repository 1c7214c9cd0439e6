"""Exactly one beat: the schedule runs only in the beat that holds a lock in Redis.

Two beats would queue every periodic job twice. The compose file runs one, but a second one
started by mistake (``docker compose up --scale beat=2``, a beat left running on an old host, an
operator's ``celery beat`` in a shell) must do nothing. ``SingleBeatScheduler`` is the
django-celery-beat scheduler with a leader lock: before each tick the beat takes or renews
``hongfan:beat:leader`` in the broker's Redis (``SET NX PX``, renewed by a compare-and-set script,
so that only the holder extends it). A beat that does not hold it sleeps and tries again, and takes
over within ``LOCK_SECONDS`` when the holder dies. The holder also records its last tick: in the
shared cache (``record_tick``, read by ``/health/``, core/ops.py) and beside the lock
(``hongfan:beat:last-tick``, ``last_tick()``).

Without a Redis broker (the embedded mode runs tasks in-process and no beat) the lock is not
needed and the scheduler behaves as django-celery-beat's own.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

LOCK_KEY = "hongfan:beat:leader"
LAST_TICK_KEY = "hongfan:beat:last-tick"
LOCK_SECONDS = 30
STANDBY_SLEEP = 5.0

# Extend the lock only while it is still ours.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def broker_redis():
    """A Redis client on the broker, or None when the broker is not Redis."""
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def last_tick() -> float | None:
    """When the leading beat last ticked (UNIX time), or None if never or without Redis."""
    client = broker_redis()
    if client is None:
        return None
    value = client.get(LAST_TICK_KEY)
    return float(value) if value else None


class LeaderLock:
    """The beat's leader lock; ``hold()`` takes or renews it and says whether this process holds it."""

    def __init__(self, client, *, seconds: int = LOCK_SECONDS):
        self.client = client
        self.milliseconds = int(seconds * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False

    def hold(self) -> bool:
        if self.client.set(LOCK_KEY, self.token, nx=True, px=self.milliseconds):
            if not self.held:
                logger.info("beat %s leads: the schedule runs here", self.token)
            self.held = True
        else:
            renewed = self.client.eval(_RENEW, 1, LOCK_KEY, self.token, self.milliseconds)
            if not renewed and self.held:
                logger.warning("beat %s lost the leader lock: another beat runs the schedule", self.token)
            elif not renewed and not self.held:
                holder = self.client.get(LOCK_KEY)
                logger.warning(
                    "beat %s stands by: %s runs the schedule (a second beat does nothing)",
                    self.token,
                    holder.decode() if holder else "another beat",
                )
            self.held = bool(renewed)
        if self.held:
            self.client.set(LAST_TICK_KEY, f"{time.time():.3f}")
        return self.held

    def release(self) -> None:
        if self.held:
            self.client.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0",
                1,
                LOCK_KEY,
                self.token,
            )
            self.held = False


def record_tick(now=None):
    """Note the leading beat's tick in the shared cache, for ``/health/`` (core/ops.py)."""
    from django.core.cache import cache

    from core.ops import BEAT_TICK_KEY

    cache.set(BEAT_TICK_KEY, now if now is not None else time.time(), timeout=24 * 3600)


class SingleBeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler that ticks only while it holds the leader lock."""

    def __init__(self, *args, **kwargs):
        client = broker_redis()
        self.leader = LeaderLock(client) if client is not None else None
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        if self.leader is not None:
            try:
                leading = self.leader.hold()
            except Exception:  # noqa: BLE001 - Redis away: run nothing rather than risk running twice
                logger.warning("beat cannot reach Redis for its leader lock; not running the schedule", exc_info=True)
                leading = False
            if not leading:
                return STANDBY_SLEEP
        interval = super().tick(*args, **kwargs)
        try:
            record_tick()
        except Exception:  # noqa: BLE001 - a cache outage must not stop the schedule
            logger.warning("beat tick not recorded", exc_info=True)
        return interval

    def close(self):
        try:
            super().close()
        finally:
            if self.leader is not None:
                try:
                    self.leader.release()
                except Exception:  # noqa: BLE001 - the lock expires by itself
                    logger.warning("beat could not release its leader lock", exc_info=True)
