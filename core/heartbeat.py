"""A sign of life from a long job, for the sweep that requeues jobs whose worker was killed.

``beating(beat, every=...)`` calls ``beat()`` every ``every`` seconds in a thread while the block
runs. The thread has its own database connection (Django's are per thread) and closes it when
the block ends. A beat that fails is logged and tried again at the next tick: a missed beat only
makes the job look older, and the sweep's threshold is several beats long.

The settings (docs/security.md, "Jobs and killed workers"):

* ``HONGFAN_JOB_HEARTBEAT_SECONDS``: how often a running job says it is alive;
* ``HONGFAN_JOB_STALE_SECONDS``: after how long without a sign of life a job is taken as lost
  (its worker killed) and queued again;
* ``HONGFAN_JOB_MAX_ATTEMPTS``: how many starts a job gets before it is failed for good.
"""

import contextlib
import datetime
import logging
import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return float(getattr(settings, "HONGFAN_JOB_HEARTBEAT_SECONDS", 10))


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=float(getattr(settings, "HONGFAN_JOB_STALE_SECONDS", 45)))


def max_attempts() -> int:
    return int(getattr(settings, "HONGFAN_JOB_MAX_ATTEMPTS", 5))


@contextlib.contextmanager
def beating(beat: Callable[[], object], *, every: float | None = None) -> Iterator[None]:
    """Run ``beat()`` every ``every`` seconds (``HONGFAN_JOB_HEARTBEAT_SECONDS``) while the block runs."""
    interval = heartbeat_seconds() if every is None else every
    stop = threading.Event()

    def loop():
        try:
            while not stop.wait(interval):
                try:
                    beat()
                except Exception:  # noqa: BLE001 - a missed beat is logged, the job goes on
                    logger.warning("heartbeat failed", exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=loop, name="hongfan-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 10)
