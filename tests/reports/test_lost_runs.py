"""Report runs that lose their worker (killed outright) are queued again by the sweep, a bounded
number of times, and still leave one report. The real kill: tests/reports/test_report_worker.py."""

import datetime
import json
import threading
import time

import pytest
from django.utils import timezone

from core import heartbeat
from reports import building as report_building
from reports.models import StatReport, StatReportRun
from reports.tasks import build_stat_report, requeue_lost_report_runs
from stats import statistics

pytestmark = pytest.mark.django_db

APRIL = statistics.Period.parse("2026-04")


def running_run(world, *, silent_for: float, attempts=1, task_id="lost-task"):
    """A run a worker took up and then said nothing for ``silent_for`` seconds."""
    now = timezone.now()
    return StatReportRun.objects.create(
        scope_kind="district",
        district=world.district_a,
        period_kind="month",
        period_start=APRIL.start,
        status=StatReportRun.Status.RUNNING,
        attempts=attempts,
        task_id=task_id,
        started_at=now - datetime.timedelta(seconds=silent_for + 5),
        heartbeat_at=now - datetime.timedelta(seconds=silent_for),
    )


def sweep(django_capture_on_commit_callbacks):
    # Eagerly (the tests' mode), the requeued build runs as soon as the sweep commits.
    with django_capture_on_commit_callbacks(execute=True):
        return requeue_lost_report_runs.apply().get(disable_sync_subtasks=False)


def test_a_run_silent_past_the_threshold_is_built_again(world, settings, django_capture_on_commit_callbacks):
    settings.HONGFAN_JOB_STALE_SECONDS = 30
    run = running_run(world, silent_for=31)
    assert sweep(django_capture_on_commit_callbacks) == 1
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.SUCCESS
    assert run.attempts == 2
    assert run.task_id not in ("", "lost-task")
    assert run.error == ""
    assert run.report == StatReport.objects.get()


def test_a_run_that_still_beats_is_left_alone(world, settings, django_capture_on_commit_callbacks):
    settings.HONGFAN_JOB_STALE_SECONDS = 30
    run = running_run(world, silent_for=29)
    assert sweep(django_capture_on_commit_callbacks) == 0
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == (StatReportRun.Status.RUNNING, 1, "lost-task")
    assert not StatReport.objects.exists()


def test_queued_failed_and_built_runs_are_not_the_sweeps_business(world, django_capture_on_commit_callbacks):
    old = timezone.now() - datetime.timedelta(hours=1)
    for status in (StatReportRun.Status.QUEUED, StatReportRun.Status.FAILED, StatReportRun.Status.SUCCESS):
        StatReportRun.objects.create(
            scope_kind="park", park=world.park_a1, period_kind="month", period_start=APRIL.start, status=status
        )
    StatReportRun.objects.update(heartbeat_at=old)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert sorted(StatReportRun.objects.values_list("status", flat=True)) == ["failed", "queued", "success"]


def test_after_the_last_attempt_the_run_fails_with_a_message(world, settings, django_capture_on_commit_callbacks):
    settings.HONGFAN_JOB_MAX_ATTEMPTS = 3
    requeued = running_run(world, silent_for=600, attempts=2)
    given_up = running_run(world, silent_for=600, attempts=3)
    given_up.park, given_up.district, given_up.scope_kind = world.park_a1, None, "park"
    given_up.save()
    assert sweep(django_capture_on_commit_callbacks) == 1
    requeued.refresh_from_db()
    given_up.refresh_from_db()
    assert requeued.status == StatReportRun.Status.SUCCESS
    assert requeued.attempts == 3
    assert given_up.status == StatReportRun.Status.FAILED
    assert given_up.error == "The worker building this report stopped 3 times; the build was given up."
    assert given_up.finished_at
    assert StatReport.objects.count() == 1  # the district's; the park's was given up


def test_a_report_written_before_the_worker_died_stays_one_report(world, django_capture_on_commit_callbacks):
    # Killed between writing the report and recording the run's success.
    first = report_building.build_report(scope=statistics.StatScope.of(world.district_a), period=APRIL)
    run = running_run(world, silent_for=600)
    assert sweep(django_capture_on_commit_callbacks) == 1
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.SUCCESS
    assert StatReport.objects.get().pk == first.pk == run.report_id


# -- taking a run: one worker at a time, never a built one -------------------------------------


def test_a_built_run_delivered_again_does_nothing(world):
    run = StatReportRun.objects.create(
        scope_kind="district", district=world.district_a, period_kind="month", period_start=APRIL.start
    )
    build_stat_report.apply(args=[run.pk])
    report = StatReport.objects.get()
    run.refresh_from_db()
    assert (run.status, run.attempts) == (StatReportRun.Status.SUCCESS, 1)
    build_stat_report.apply(args=[run.pk])  # the broker's own redelivery, hours later
    run.refresh_from_db()
    assert (run.status, run.attempts) == (StatReportRun.Status.SUCCESS, 1)
    assert StatReport.objects.get().generated_at == report.generated_at


def test_a_run_another_live_worker_builds_is_not_taken(world, monkeypatch):
    run = running_run(world, silent_for=1)
    called = []
    monkeypatch.setattr(statistics, "figures", lambda *args, **kwargs: called.append(1))
    assert report_building.execute_run(run_id=run.pk, task_id="another-task") is None
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == (StatReportRun.Status.RUNNING, 1, "lost-task")
    assert called == []


def test_the_same_message_redelivered_after_its_worker_process_died_is_taken(world):
    # reject_on_worker_lost: a prefork child died, its message is requeued at once with its id.
    run = running_run(world, silent_for=1, task_id="same-task")
    report = report_building.execute_run(run_id=run.pk, task_id="same-task")
    run.refresh_from_db()
    assert (run.status, run.attempts, run.report) == (StatReportRun.Status.SUCCESS, 2, report)


def test_a_run_out_of_attempts_is_not_taken(world, settings):
    settings.HONGFAN_JOB_MAX_ATTEMPTS = 2
    run = running_run(world, silent_for=600, attempts=2)
    assert report_building.execute_run(run_id=run.pk, task_id="next") is None
    run.refresh_from_db()
    assert run.attempts == 2


def test_the_tasks_are_late_acknowledged_and_requeued_when_the_worker_process_dies():
    assert build_stat_report.acks_late
    assert build_stat_report.reject_on_worker_lost


def test_the_sweep_is_scheduled_every_twenty_seconds():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("interval").get(task="portal.tasks.requeue_lost_report_runs")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (20, "seconds")
    assert json.loads(task.kwargs or "{}") == {}


# -- the heartbeat -------------------------------------------------------------------------------


@pytest.mark.real_clock
def test_beating_calls_the_beat_while_the_block_runs_and_stops_after():
    beats = []
    with heartbeat.beating(lambda: beats.append(time.monotonic()), every=0.05):
        time.sleep(0.4)
    count = len(beats)
    assert count >= 3
    time.sleep(0.2)
    assert len(beats) == count
    assert not any(thread.name == "hongfan-heartbeat" for thread in threading.enumerate())


@pytest.mark.real_clock
def test_a_failing_beat_does_not_stop_the_job():
    beats = []

    def beat():
        beats.append(1)
        raise RuntimeError("database gone for a moment")

    with heartbeat.beating(beat, every=0.05):
        time.sleep(0.3)
    assert len(beats) >= 2


@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_a_long_build_refreshes_its_runs_heartbeat(settings, monkeypatch):
    from tests.scenario import build_world

    world = build_world()
    settings.HONGFAN_JOB_HEARTBEAT_SECONDS = 0.1
    real_figures = statistics.figures

    def slow(*args, **kwargs):
        time.sleep(0.6)
        return real_figures(*args, **kwargs)

    monkeypatch.setattr(statistics, "figures", slow)
    run = StatReportRun.objects.create(
        scope_kind="district", district=world.district_a, period_kind="month", period_start=APRIL.start
    )
    report_building.execute_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == StatReportRun.Status.SUCCESS
    assert run.heartbeat_at - run.started_at >= datetime.timedelta(seconds=0.3)
