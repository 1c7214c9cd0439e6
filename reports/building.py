"""Statistics reports (统计报表): building one.

A report holds ``stats.statistics.figures(scope, period)`` for one district or park and one
period (month, quarter, year). The rules here:

* one report per scope and period (database constraints); building again replaces the figures and
  ``generated_at`` of the same row, so a job that runs twice (acks_late redelivery, a retry, a
  "rebuild now" next to the beat) leaves one report;
* every build is a ``StatReportRun`` created when it is requested (``reports.actions``) and
  enqueued only after the transaction commits (``reports.tasks``); ``execute_run`` records
  running / success / failed, the error and the duration;
* officials see and rebuild the reports of their districts and of the parks in them, park
  administrators those of their parks, superusers all; nobody else.
"""

import datetime
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import heartbeat
from core.validators import TEXT_LOG, fit_text
from parks.models import District, Park
from stats import statistics

from .models import ReportPeriodKind, ReportScopeKind, StatReport, StatReportRun

REPORT_SCOPE_KINDS = (ReportScopeKind.DISTRICT, ReportScopeKind.PARK)


# -- scopes and periods ------------------------------------------------------------------------


def scope_fields(scope_kind: str, scope_id: int) -> dict:
    """The district/park foreign keys of a report or run of this scope."""
    if scope_kind == ReportScopeKind.DISTRICT:
        return {"scope_kind": scope_kind, "district_id": scope_id, "park_id": None}
    if scope_kind == ReportScopeKind.PARK:
        return {"scope_kind": scope_kind, "district_id": None, "park_id": scope_id}
    raise ValueError(f"statistics reports are per district or park, not {scope_kind!r}")


def period_of(obj):
    """The ``Period`` of a report or a run."""
    return statistics.Period(kind=obj.period_kind, start=obj.period_start)


def scope_of(obj):
    """The ``StatScope`` of a report or a run."""
    scope_id = obj.district_id if obj.scope_kind == ReportScopeKind.DISTRICT else obj.park_id
    return statistics.StatScope(kind=obj.scope_kind, id=scope_id)


def may_build(user, *, scope_kind: str, scope_id: int) -> bool:
    """Officials for their districts and the parks in them, park administrators for their parks
    (the statistics scope rule, ``stats.basis.StatScope.visible_to``, limited to districts and parks)."""
    if scope_kind not in REPORT_SCOPE_KINDS:
        return False
    return statistics.StatScope(kind=scope_kind, id=scope_id).visible_to(user)


# -- building ----------------------------------------------------------------------------------


def build_report(*, scope, period) -> StatReport:
    """Compute the figures of ``scope`` (a district or park ``StatScope``) for ``period`` and store
    them as the one report of that scope and period, replacing the previous figures if any.

    The figures are computed before the transaction, so that a long build holds no row lock.
    """
    fields = scope_fields(scope.kind, scope.id)
    if period.kind not in ReportPeriodKind.values:
        raise ValueError(f"unknown period kind {period.kind!r}")
    data = statistics.figures(scope, period)
    with transaction.atomic():
        report, _created = StatReport.objects.update_or_create(
            district_id=fields["district_id"],
            park_id=fields["park_id"],
            period_kind=period.kind,
            period_start=period.start,
            defaults={"scope_kind": scope.kind, "data": data, "generated_at": timezone.now()},
        )
    return report


def check_period(period, *, today: datetime.date | None = None) -> None:
    """A report is of a period that has begun: a future one would be all zeros."""
    today = today or timezone.localdate()
    if period.start > today:
        raise ValidationError({"period": _("This period has not begun yet.")})


def new_run(*, scope_kind: str, scope_id: int, period, user=None) -> StatReportRun:
    """A queued run of this scope and period, with the task id it will be enqueued under."""
    return StatReportRun.objects.create(
        **scope_fields(scope_kind, scope_id),
        period_kind=period.kind,
        period_start=period.start,
        requested_by=user,
        task_id=str(uuid.uuid4()),
    )


def periodic_runs(*, period_kind: str, today: datetime.date | None = None) -> list[StatReportRun]:
    """Queued runs for every district and park, for the period of ``period_kind`` just ended."""
    today = today or timezone.localdate()
    period = statistics.Period.current(period_kind, today=today).previous()
    runs = []
    with transaction.atomic():
        for district_id in District.objects.order_by("pk").values_list("pk", flat=True):
            runs.append(new_run(scope_kind=ReportScopeKind.DISTRICT, scope_id=district_id, period=period))
        for park_id in Park.objects.order_by("pk").values_list("pk", flat=True):
            runs.append(new_run(scope_kind=ReportScopeKind.PARK, scope_id=park_id, period=period))
    return runs


def _takeable(run_id: int, task_id: str, now) -> Q:
    """The runs a worker may start: queued, or failed and retried, or running but lost (no sign of
    life for ``HONGFAN_JOB_STALE_SECONDS``, or the very message being delivered again after its
    worker process died), and not out of attempts. A run already built is never taken again."""
    lost = Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - heartbeat.stale_after())
    if task_id:
        lost |= Q(task_id=task_id)
    return Q(pk=run_id, attempts__lt=heartbeat.max_attempts()) & (
        Q(status__in=[StatReportRun.Status.QUEUED, StatReportRun.Status.FAILED])
        | (Q(status=StatReportRun.Status.RUNNING) & lost)
    )


def execute_run(*, run_id: int, task_id: str = "") -> StatReport | None:
    """Build the report of a run, recording running → success or failed with error and duration.

    The run is taken with one conditional UPDATE (``_takeable``), so a message delivered twice
    (a requeue after a lost worker, then the broker's own redelivery) builds once: a run already
    built, or being built by a live worker, is left as it is and its report (if any) returned.
    While it builds, the run's heartbeat is refreshed (``core.heartbeat``).

    Re-raises the error so that the task's retry policy decides what comes next (a retry sets the
    run running again and counts the attempt).
    """
    now = timezone.now()
    taken = StatReportRun.objects.filter(_takeable(run_id, task_id, now)).update(
        status=StatReportRun.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        error="",
        attempts=F("attempts") + 1,
        **({"task_id": task_id} if task_id else {}),
    )
    run = StatReportRun.objects.select_related("report").get(pk=run_id)
    if not taken:
        return run.report

    def beat():
        StatReportRun.objects.filter(pk=run_id, status=StatReportRun.Status.RUNNING).update(heartbeat_at=timezone.now())

    began = time.monotonic()
    try:
        with heartbeat.beating(beat):
            report = build_report(scope=scope_of(run), period=period_of(run))
    except Exception as exc:
        StatReportRun.objects.filter(pk=run_id).update(
            status=StatReportRun.Status.FAILED,
            finished_at=timezone.now(),
            duration=datetime.timedelta(seconds=time.monotonic() - began),
            error=fit_text(f"{type(exc).__name__}: {exc}", TEXT_LOG),
        )
        raise
    StatReportRun.objects.filter(pk=run_id).update(
        status=StatReportRun.Status.SUCCESS,
        report=report,
        finished_at=timezone.now(),
        duration=datetime.timedelta(seconds=time.monotonic() - began),
    )
    # Runs requested before this report existed point at it now too.
    StatReportRun.objects.filter(
        report__isnull=True,
        district_id=report.district_id,
        park_id=report.park_id,
        period_kind=report.period_kind,
        period_start=report.period_start,
    ).update(report=report)
    return report


# -- runs whose worker was killed ----------------------------------------------------------------


def requeue_lost_runs(*, now: datetime.datetime | None = None) -> tuple[list[StatReportRun], list[StatReportRun]]:
    """The sweep (``portal.tasks.requeue_lost_report_runs``, from beat): a run still "running" with
    no sign of life for ``HONGFAN_JOB_STALE_SECONDS`` lost its worker (killed, or its machine
    gone). It is queued again under a new task id, or failed with a message once it has been
    started ``HONGFAN_JOB_MAX_ATTEMPTS`` times. Returns (requeued, failed); the caller enqueues
    the requeued runs once the transaction commits.

    The rows are locked and those another sweep holds are skipped, so two sweeps never requeue
    one run twice; the requeued run's ``_takeable`` then lets one worker take it.
    """
    now = now or timezone.now()
    requeued, failed = [], []
    with transaction.atomic():
        lost = (
            StatReportRun.objects.select_for_update(skip_locked=True)
            .filter(status=StatReportRun.Status.RUNNING)
            .filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - heartbeat.stale_after()))
            .order_by("pk")
        )
        for run in lost:
            if run.attempts >= heartbeat.max_attempts():
                with translation.override(settings.LANGUAGE_CODE):
                    run.error = _(
                        "The worker building this report stopped %(count)s times; the build was given up."
                    ) % {"count": run.attempts}
                run.status = StatReportRun.Status.FAILED
                run.finished_at = now
                run.save(update_fields=["status", "error", "finished_at"])
                failed.append(run)
            else:
                with translation.override(settings.LANGUAGE_CODE):
                    run.error = _("The worker building this report stopped; the build was queued again.")
                run.status = StatReportRun.Status.QUEUED
                run.heartbeat_at = None
                run.task_id = str(uuid.uuid4())
                run.save(update_fields=["status", "error", "heartbeat_at", "task_id"])
                requeued.append(run)
    return requeued, failed
