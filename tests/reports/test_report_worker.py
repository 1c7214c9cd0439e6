"""A real Celery worker, fed through Redis, builds statistics reports.

Runs in CI's Celery step (`make test-celery`, with CELERY_TEST_BROKER pointing at Redis); on
other runs these tests are deselected, not skipped (tests/conftest.py).
"""

import time

import pytest
from django.db import transaction

from portal.celery import app
from reports import actions as report_actions
from reports.models import StatReport, StatReportRun
from stats import statistics

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

PERIOD = statistics.Period.parse("2026-Q1")


@pytest.fixture
def worker(settings):
    from tests.celery_worker import running_worker

    with running_worker(settings):
        yield


def wait_until_done(run, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (StatReportRun.Status.SUCCESS, StatReportRun.Status.FAILED):
            return run
        time.sleep(0.2)
    pytest.fail(f"the worker did not finish run {run.pk}: {run.status}")


def test_the_worker_builds_a_report_and_building_twice_leaves_one(worker, world):
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")
    with transaction.atomic():
        first = report_actions.request_build(
            scope_kind="district", scope_id=world.district_a.pk, period=PERIOD, user=world.official
        )
        time.sleep(0.5)
        # Not enqueued before the commit: the worker has not touched the run.
        assert StatReportRun.objects.get(pk=first.pk).status == StatReportRun.Status.QUEUED
    first = wait_until_done(first)
    assert first.status == StatReportRun.Status.SUCCESS, first.error
    assert first.attempts == 1
    assert first.duration is not None
    assert first.task_id
    report = StatReport.objects.get()
    assert report.district == world.district_a
    assert report.period_label == "2026-Q1"
    assert report.data["members"]["total"] == 4
    generated = report.generated_at

    second = wait_until_done(
        report_actions.request_build(scope_kind="district", scope_id=world.district_a.pk, period=PERIOD)
    )
    assert second.status == StatReportRun.Status.SUCCESS, second.error
    assert StatReport.objects.count() == 1
    report.refresh_from_db()
    assert report.generated_at > generated
    assert second.report_id == report.pk


def test_the_periodic_job_fans_out_through_the_worker(worker, world):
    from reports.tasks import build_periodic_reports

    build_periodic_reports.delay(period_kind="year")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = StatReportRun.objects.filter(status__in=["success", "failed"]).count()
        if done == 5:
            break
        time.sleep(0.3)
    assert set(StatReportRun.objects.values_list("status", flat=True)) == {"success"}
    assert StatReport.objects.filter(period_kind="year").count() == 5  # 2 districts, 3 parks


# -- a worker killed in the middle of a build ---------------------------------------------------

# The worker processes' settings: a sign of life every second, lost after three without one.
FAST_SWEEP = {"HONGFAN_JOB_HEARTBEAT_SECONDS": 1, "HONGFAN_JOB_STALE_SECONDS": 3}


def wait_for(predicate, *, seconds, what, tick=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if tick:
            tick()
        if predicate():
            return
        time.sleep(1)
    pytest.fail(f"waited {seconds} s for {what}")


@pytest.mark.postgres  # the worker process shares the test database
def test_a_build_whose_worker_is_killed_is_done_by_the_next_worker(settings, world):
    import signal

    from reports.tasks import requeue_lost_report_runs
    from tests.celery_worker import broker_only, worker_process

    with broker_only(settings):
        first = worker_process(slow_seconds=120, **FAST_SWEEP)
        second = None
        try:
            run = report_actions.request_build(scope_kind="district", scope_id=world.district_a.pk, period=PERIOD)
            sent_as = run.task_id

            def beating():
                run.refresh_from_db()
                return run.status == StatReportRun.Status.RUNNING and run.heartbeat_at > run.started_at

            wait_for(beating, seconds=60, what="the first worker to start the build and beat")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            run.refresh_from_db()
            assert run.status == StatReportRun.Status.RUNNING  # lost: nobody will say otherwise
            assert not StatReport.objects.exists()

            second = worker_process(**FAST_SWEEP)
            killed_at = time.monotonic()

            def done():
                run.refresh_from_db()
                return run.status in (StatReportRun.Status.SUCCESS, StatReportRun.Status.FAILED)

            # The test plays beat: the sweep every second, through the broker.
            wait_for(done, seconds=60, what="the second worker to build it", tick=requeue_lost_report_runs.delay)
            assert time.monotonic() - killed_at < 60
        finally:
            for process in (first, second):
                if process and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
    assert run.status == StatReportRun.Status.SUCCESS, run.error
    assert run.attempts == 2
    assert run.task_id != sent_as  # queued again by the sweep, not by the broker's redelivery
    report = StatReport.objects.get()
    assert run.report_id == report.pk
    assert report.data["members"]["total"] == 4
