"""Writes of reports: asking for a build ("rebuild now", or every district and park from beat)."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .building import check_period, may_build, new_run, periodic_runs
from .models import StatReportRun
from .tasks import enqueue


def request_build(*, scope_kind: str, scope_id: int, period, user=None) -> StatReportRun:
    """Record a queued run and enqueue its task once the current transaction commits.

    ``user`` (the person pressing "rebuild now") must be allowed to build this scope; the beat's
    own runs pass no user. The period must have begun.
    """
    if user is not None and not may_build(user, scope_kind=scope_kind, scope_id=scope_id):
        raise PermissionDenied(_("You may not build reports of this scope."))
    check_period(period)
    with transaction.atomic():
        run = new_run(scope_kind=scope_kind, scope_id=scope_id, period=period, user=user)
        enqueue(run)
    return run


def request_periodic_builds(*, period_kind: str, today: datetime.date | None = None) -> list[StatReportRun]:
    """Runs for every district and park, for the period of ``period_kind`` that has just ended."""
    with transaction.atomic():
        runs = periodic_runs(period_kind=period_kind, today=today)
        for run in runs:
            enqueue(run)
    return runs
