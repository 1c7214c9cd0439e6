"""Large exports whose worker is lost (killed outright, its machine gone) are queued again by the
sweep, a bounded number of times, and still leave one file; a message delivered twice writes once.
The real kill: tests/dataio/test_exports_worker.py."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone, translation

from core import streaming
from dataio import export_jobs
from dataio.models import ExportJob
from dataio.tasks import requeue_lost_export_jobs, run_export_job

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def running_job(world, *, silent_for: float, attempts=1, task_id="lost-task", language="zh-hans"):
    """A members export a worker took up and then said nothing for ``silent_for`` seconds."""
    now = timezone.now()
    return ExportJob.objects.create(
        user=world.park_admin,
        kind="members",
        file_format="csv",
        params={"org": world.branch_a1.pk, "activity": None, "period": ""},
        status=ExportJob.Status.RUNNING,
        attempts=attempts,
        task_id=task_id,
        language=language,
        heartbeat_at=now - datetime.timedelta(seconds=silent_for),
    )


def rows_of(job) -> list[list[str]]:
    with job.file.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))


def sweep(django_capture_on_commit_callbacks):
    # Eagerly (the tests' mode), the requeued export runs as soon as the sweep commits.
    with django_capture_on_commit_callbacks(execute=True):
        return requeue_lost_export_jobs.apply().get(disable_sync_subtasks=False)


def test_a_job_silent_past_the_threshold_is_written_again(world, settings, django_capture_on_commit_callbacks):
    settings.HONGFAN_JOB_STALE_SECONDS = 30
    job = running_job(world, silent_for=31)
    assert sweep(django_capture_on_commit_callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == (ExportJob.Status.DONE, 2, "")
    assert job.task_id not in ("", "lost-task")
    rows = rows_of(job)
    assert rows[0][0] == "姓名"  # in the language the export was asked in
    assert len(rows) == 1 + 3  # the branch's three members
    assert job.progress_done == job.progress_total == 3


def test_a_job_that_still_beats_is_left_alone(world, settings, django_capture_on_commit_callbacks):
    settings.HONGFAN_JOB_STALE_SECONDS = 30
    job = running_job(world, silent_for=29)
    assert sweep(django_capture_on_commit_callbacks) == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.task_id) == (ExportJob.Status.RUNNING, 1, "lost-task")
    assert not job.file


def test_waiting_written_failed_and_expired_jobs_are_not_the_sweeps_business(world, django_capture_on_commit_callbacks):
    old = timezone.now() - datetime.timedelta(hours=1)
    for status in ("queued", "done", "failed", "expired"):
        ExportJob.objects.create(user=world.park_admin, kind="members", file_format="csv", status=status)
    ExportJob.objects.update(heartbeat_at=old)
    assert sweep(django_capture_on_commit_callbacks) == 0
    assert sorted(ExportJob.objects.values_list("status", flat=True)) == ["done", "expired", "failed", "queued"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The worker writing this export stopped 3 times; try again."),
        ("zh-hans", "处理此导出的后台进程已中断 3 次，请重新导出。"),
    ],
)
def test_after_the_last_attempt_the_job_fails_with_a_message_in_its_language(
    world, settings, django_capture_on_commit_callbacks, language, message
):
    settings.HONGFAN_JOB_MAX_ATTEMPTS = 3
    requeued = running_job(world, silent_for=600, attempts=2)
    given_up = running_job(world, silent_for=600, attempts=3, language=language)
    with translation.override("en"):  # the sweep's own language does not matter
        assert sweep(django_capture_on_commit_callbacks) == 1
    requeued.refresh_from_db()
    given_up.refresh_from_db()
    assert (requeued.status, requeued.attempts) == (ExportJob.Status.DONE, 3)
    assert (given_up.status, given_up.error) == (ExportJob.Status.FAILED, message)
    assert given_up.finished_at
    assert not given_up.file


# -- taking a job: one worker at a time, never a finished one -------------------------------------


def test_a_written_job_delivered_again_does_nothing(world):
    job = ExportJob.objects.create(
        user=world.park_admin, kind="members", file_format="csv", params={"org": world.branch_a1.pk}
    )
    run_export_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportJob.Status.DONE, 1)
    name = job.file.name
    run_export_job.apply(args=[job.pk])  # the broker's own redelivery, hours later
    job.refresh_from_db()
    assert (job.status, job.attempts, job.file.name) == (ExportJob.Status.DONE, 1, name)


def test_a_job_another_live_worker_writes_is_not_taken(world, monkeypatch):
    job = running_job(world, silent_for=1)
    monkeypatch.setattr(streaming, "write_export", lambda *args, **kwargs: pytest.fail("written twice"))
    export_jobs.run_export(job_id=job.pk, task_id="another-task")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.task_id) == (ExportJob.Status.RUNNING, 1, "lost-task")


def test_the_same_message_delivered_again_after_its_worker_process_died_is_taken(world):
    # reject_on_worker_lost: a prefork child died, its message is requeued at once with its id.
    job = running_job(world, silent_for=1, task_id="same-task")
    export_jobs.run_export(job_id=job.pk, task_id="same-task")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportJob.Status.DONE, 2)
    assert len(rows_of(job)) == 4


def test_a_job_out_of_attempts_is_not_taken(world, settings):
    settings.HONGFAN_JOB_MAX_ATTEMPTS = 2
    job = running_job(world, silent_for=600, attempts=2)
    export_jobs.run_export(job_id=job.pk, task_id="next")
    job.refresh_from_db()
    assert (job.status, job.attempts) == (ExportJob.Status.RUNNING, 2)


def test_a_worker_thought_lost_that_finishes_late_leaves_the_job_to_the_one_that_took_it_over(
    world, settings, monkeypatch
):
    job = ExportJob.objects.create(
        user=world.park_admin, kind="members", file_format="csv", params={"org": world.branch_a1.pk}
    )
    write = streaming.write_export

    def slow_then_taken_over(*args, **kwargs):
        # While this worker writes, the sweep gave the job up for lost and another worker took it.
        ExportJob.objects.filter(pk=job.pk).update(attempts=2, task_id="second", heartbeat_at=timezone.now())
        return write(*args, **kwargs)

    monkeypatch.setattr(streaming, "write_export", slow_then_taken_over)
    export_jobs.run_export(job_id=job.pk, task_id="first")
    job.refresh_from_db()
    assert (job.status, job.attempts, job.task_id) == (ExportJob.Status.RUNNING, 2, "second")
    assert not job.file  # the late worker recorded nothing ...
    assert not list((settings.MEDIA_ROOT / "exports").rglob("*.csv"))  # ... and kept no file


def test_a_job_the_broker_cannot_take_says_so(world, client, settings, monkeypatch, django_capture_on_commit_callbacks):
    def unreachable(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(run_export_job, "apply_async", unreachable)
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        job = export_jobs.start_export(
            user=world.park_admin, kind="members", file_format="csv", params={"org": None}, total=3
        )
    job.refresh_from_db()
    assert (job.status, job.error) == (ExportJob.Status.FAILED, "无法将导出交给后台进程，请稍后重试。")


def test_the_tasks_are_late_acknowledged_and_requeued_when_the_worker_process_dies():
    assert run_export_job.acks_late
    assert run_export_job.reject_on_worker_lost


def test_the_sweep_is_scheduled_every_twenty_seconds():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("interval").get(task="dataio.tasks.requeue_lost_export_jobs")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (20, "seconds")
    assert json.loads(task.kwargs or "{}") == {}
