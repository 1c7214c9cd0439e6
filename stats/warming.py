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
* **What people look at**: besides each district's month and year, the dashboards opened in the
  last ``HONGFAN_WARM_RECENT_SECONDS`` (an hour) — a park's, an organisation's, another period —
  each as the user who opened it, newest first, until the job has worked
  ``HONGFAN_WARM_BUDGET_SECONDS`` (5): a park administrator's next view after a write is refilled
  too, and a burst of views of old periods cannot make the job run for ever.
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
VIEWED_KEY = "hongfan:stats:warm-viewed"  # {(kind, id, period, user id): when last opened}
# The dashboards remembered as recently opened (the newest): a bound on the entry and the job.
VIEWED_MAX = 200
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


def viewed(user, scope, period) -> None:
    """Remembers that ``user`` opened the dashboard of ``scope`` for ``period`` (the page view), for
    the next job to refill after a write. A hint: two views at once may keep one of them only."""
    if not enabled():
        return
    now = time.time()
    oldest = now - float(settings.HONGFAN_WARM_RECENT_SECONDS)
    entries = {key: at for key, at in (cache.get(VIEWED_KEY) or {}).items() if at >= oldest}
    entries[(scope.kind, scope.id, period.label, user.pk)] = now
    if len(entries) > VIEWED_MAX:
        entries = dict(sorted(entries.items(), key=lambda item: item[1])[-VIEWED_MAX:])
    cache.set(VIEWED_KEY, entries, timeout=int(settings.HONGFAN_WARM_RECENT_SECONDS) + 60)


def recently_viewed() -> list[tuple[str, int, str, int]]:
    """(kind, id, period, user id) of the dashboards opened within the recent window, newest first."""
    oldest = time.time() - float(settings.HONGFAN_WARM_RECENT_SECONDS)
    entries = cache.get(VIEWED_KEY) or {}
    return [key for key, at in sorted(entries.items(), key=lambda item: -item[1]) if at >= oldest]


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


def _refill(user, kind, pk, period_label) -> bool:
    """One dashboard as ``user`` opens it: the page, the alerts and the compliance sections. False
    when the user may no longer open it (or the period no longer parses)."""
    from . import alerts, dashboards

    if not user.is_active:
        return False
    scope = dashboards.resolve_scope(user, kind, pk)
    if scope is None or not dashboards.may_use_dashboards(user):
        return False
    try:
        period = dashboards.parse_period(period_label)
    except ValueError:
        return False
    dashboards.dashboard(user, scope, period)
    alerts.alerts_for(user, scope, first=alerts.SECTION_ROWS)
    dashboards.compliance_section(user, scope, period)
    return True


def warm_recent(deadline: float) -> list[tuple[str, int, str, int]]:
    """Refills the recently opened dashboards, newest first, until ``deadline`` (a
    ``time.monotonic()``). Returns those done."""
    from django.contrib.auth import get_user_model

    keys = recently_viewed()
    users = get_user_model().objects.in_bulk({key[3] for key in keys})
    done = []
    for kind, pk, period_label, user_id in keys:
        if time.monotonic() >= deadline:
            break
        user = users.get(user_id)
        if user is None:
            continue
        try:
            if _refill(user, kind, pk, period_label):
                done.append((kind, pk, period_label, user_id))
        except Exception:
            logger.exception(
                "Refilling the dashboard %s %s (%s) failed; its next view computes it.", kind, pk, period_label
            )
    return done


def warm() -> list[int]:
    """Computes each district's dashboard of the current month as one of its officials opens it
    (page, alerts section, compliance section), the year's page and the compliance table, then the dashboards opened
    recently (``warm_recent``) within the budget, filling the caches the views read. Returns the
    districts done. A dashboard that fails is logged and skipped: its next view computes itself."""
    from activities.selectors import compliance_table

    from . import alerts, dashboards

    # From here on a write queues the next job: it will read what this one may have missed.
    cache.delete(PENDING_KEY)
    cache.set(LAST_KEY, time.time(), timeout=24 * 3600)
    started = time.monotonic()
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
            # The section's "Full table": every branch of the district, the year's counts.
            compliance_table(user, year=month.start.year)
        except Exception:
            logger.exception("Refilling the dashboard of district %s failed; its next view computes it.", district_id)
            continue
        done.append(district_id)
    recent = warm_recent(started + float(settings.HONGFAN_WARM_BUDGET_SECONDS))
    cache.set(DONE_KEY, (time.time(), done, recent), timeout=24 * 3600)
    return done
