"""The district dashboards' caches refilled in the background after a write (issue #16).

A dashboard's figures and alerts are cached per version of their data
(``stats.statistics.data_version``): a write to a member, an activity, a stage change or a dues
payment changes the version, and the next view computes them afresh. At 100 000 members the first
view after a write took 180–345 ms where a view between two writes takes 50–70 ms
(docs/benchmarks.md), and on a busy day most views come after some write. So once a commit that
wrote history rows is counted (``core.history.history_committed``), a job is queued that opens each
district's dashboard as one of its officials would — the page, the alerts section and the compliance
section of the current month, and the current year's page, through the same functions and so under
the same cache keys as the views — and the official's next view reads what the job computed.

* **Coalesced**: one job is pending at a time (a key in the shared cache); a write while one is
  pending queues nothing, a write after it has started queues the next one, which reads the newer
  versions.
* **Paced**: a job starts ``HONGFAN_WARM_DELAY`` seconds (2) after the write that queued it, so a
  burst of writes (an import, a meeting's attendance) is one job, and at most once per
  ``HONGFAN_WARM_INTERVAL`` seconds (10).
* **Only where it helps** (``HONGFAN_WARM_DASHBOARDS``, on by default with a broker and a shared
  cache): with Celery in-process the work would only move into the request that wrote, and with a
  cache per process the results would stay in the worker.

Nothing here decides a figure: a view computes exactly what it computed before, whether the job
has run or not (the tests compare both).
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PENDING_KEY = "hongfan:stats:warm-pending"
LAST_KEY = "hongfan:stats:warm-last"  # when the last job started
DONE_KEY = "hongfan:stats:warm-done"  # when the last job finished, and the districts it did
# A job lost before it starts (a worker killed with it prefetched) frees the key after this long
# beyond its countdown, so the writes after it queue another.
PENDING_GRACE_SECONDS = 300


def enabled() -> bool:
    return bool(getattr(settings, "HONGFAN_WARM_DASHBOARDS", False))


def schedule(**kwargs) -> bool:
    """Queues the job unless one is pending (the receiver of ``history_committed``); True if it
    queued one. Never raises into the commit that called it."""
    if not enabled():
        return False
    delay = max(0.0, float(settings.HONGFAN_WARM_DELAY))
    interval = max(0.0, float(settings.HONGFAN_WARM_INTERVAL))
    last = cache.get(LAST_KEY) or 0.0
    countdown = max(delay, last + interval - time.time())
    if not cache.add(PENDING_KEY, 1, timeout=int(countdown + PENDING_GRACE_SECONDS)):
        return False
    from .tasks import warm_dashboards

    try:
        warm_dashboards.apply_async(countdown=countdown)
    except Exception:
        cache.delete(PENDING_KEY)
        logger.exception("Could not queue the dashboards' refill; the next view computes its figures itself.")
        return False
    return True


def officials():
    """(district id, user): one active official of each district, the one with the lowest id."""
    from accounts.models import Role, RoleAssignment

    chosen = {}
    assignments = (
        RoleAssignment.objects.filter(role=Role.DISTRICT_OFFICIAL, user__is_active=True, district__isnull=False)
        .select_related("user")
        .order_by("district_id", "user_id")
    )
    for assignment in assignments:
        chosen.setdefault(assignment.district_id, assignment.user)
    return sorted(chosen.items())


def warm() -> list[int]:
    """Computes each district's dashboard of the current month as one of its officials opens it
    (page, alerts section, compliance section) and the year's page, filling the caches the views
    read. Returns the
    districts done. A district that fails is logged and skipped: its next view computes itself."""
    from . import alerts, dashboards

    # From here on a write queues the next job: it will read what this one may have missed.
    cache.delete(PENDING_KEY)
    cache.set(LAST_KEY, time.time(), timeout=24 * 3600)
    done = []
    for district_id, user in officials():
        try:
            scope = dashboards.resolve_scope(user, "district", district_id)
            if scope is None:
                continue
            month = dashboards.parse_period("")
            dashboards.dashboard(user, scope, month)
            alerts.alerts_for(user, scope, first=alerts.SECTION_ROWS)
            dashboards.compliance_section(user, scope, month)
            # The year's page (its compliance section is the month's: both show the year's).
            dashboards.dashboard(user, scope, dashboards.parse_period(str(month.start.year)))
        except Exception:
            logger.exception("Refilling the dashboard of district %s failed; its next view computes it.", district_id)
            continue
        done.append(district_id)
    cache.set(DONE_KEY, (time.time(), done), timeout=24 * 3600)
    return done
