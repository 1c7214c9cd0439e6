"""Import jobs that lose their worker are handed out again, a bounded number of times; their files
are not kept once they fail. The real kill: tests/dataio/test_imports_worker.py."""

import datetime
import os
import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from dataio.models import ImportJob
from dataio.tasks import requeue_lost_import_jobs

from .test_imports import member_row, upload, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.HONGFAN_JOB_STALE_SECONDS = 30
    settings.HONGFAN_JOB_MAX_ATTEMPTS = 3


def test_each_time_a_worker_takes_a_job_up_is_counted(client, world):
    client.force_login(world.park_admin)
    upload(client, "members", xlsx([member_row(i, world.branch_a1.code) for i in range(2)]))
    job = ImportJob.objects.get()
    assert (job.status, job.attempts) == ("checked", 1)
    assert job.heartbeat_at
    client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("committed", 2)


def test_a_failed_job_keeps_no_file(client, world, monkeypatch, tmp_path, django_capture_on_commit_callbacks):
    from core import importing

    def broken(**kwargs):
        raise RuntimeError("boom")

    client.force_login(world.park_admin)
    monkeypatch.setattr(importing, "run_import", broken)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, "members", xlsx([member_row(1, world.branch_a1.code)]))
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert not job.file
    assert not [name for _root, _dirs, names in os.walk(tmp_path) for name in names]


def taken_job(user, *, status, seconds_ago, attempts=1):
    job = ImportJob(user=user, kind="members", filename="m.xlsx", status=status, attempts=attempts)
    job.file.save("members.xlsx", ContentFile(b"plain ID numbers"), save=False)
    job.heartbeat_at = timezone.now() - datetime.timedelta(seconds=seconds_ago)
    job.save()
    return job


@pytest.mark.postgres  # SELECT ... FOR UPDATE SKIP LOCKED
@pytest.mark.django_db(transaction=True)
def test_a_job_taken_up_whose_row_is_not_locked_is_handed_out_again(settings, monkeypatch):
    from tests.scenario import build_world

    world = build_world()
    sent = []
    monkeypatch.setattr("dataio.tasks.run_import_job.delay", sent.append)
    lost = taken_job(world.park_admin, status="committing", seconds_ago=31)
    alive = taken_job(world.park_admin, status="checking", seconds_ago=600)
    recent = taken_job(world.park_admin, status="checking", seconds_ago=10)
    done = taken_job(world.park_admin, status="committed", seconds_ago=600)

    # A live worker holds its job's row lock for the whole check (dataio.jobs._run).
    locked, release = threading.Event(), threading.Event()

    def worker():
        with transaction.atomic():
            ImportJob.objects.select_for_update().get(pk=alive.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert requeue_lost_import_jobs.apply().get(disable_sync_subtasks=False) == 1
    finally:
        release.set()
        thread.join()
    assert sent == [lost.pk]
    lost.refresh_from_db()
    assert (lost.status, lost.heartbeat_at, lost.attempts) == ("committing", None, 1)
    assert requeue_lost_import_jobs.apply().get(disable_sync_subtasks=False) == 1  # the live worker has gone meanwhile
    assert sent == [lost.pk, alive.pk]
    assert (
        requeue_lost_import_jobs.apply().get(disable_sync_subtasks=False) == 0
    )  # handed out: left alone until taken up
    for job in (recent, done):
        job.refresh_from_db()
        assert job.heartbeat_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_the_last_attempt_the_job_fails_and_its_file_is_deleted(monkeypatch):
    from tests.scenario import build_world

    world = build_world()
    sent = []
    monkeypatch.setattr("dataio.tasks.run_import_job.delay", sent.append)
    job = taken_job(world.park_admin, status="committing", seconds_ago=600, attempts=3)
    job.language = "en"
    job.save()
    path = job.file.path
    assert requeue_lost_import_jobs.apply().get(disable_sync_subtasks=False) == 0
    assert sent == []
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error == "The worker handling this file stopped 3 times; nothing was written."
    assert not job.file
    assert not os.path.exists(path)


def test_the_sweep_is_scheduled_every_twenty_seconds():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.select_related("interval").get(task="portal.tasks.requeue_lost_import_jobs")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (20, "seconds")


def test_the_import_task_is_late_acknowledged_and_requeued_when_the_worker_process_dies():
    from dataio.tasks import run_import_job

    assert run_import_job.acks_late
    assert run_import_job.reject_on_worker_lost


# -- the spreadsheet is deleted as docs/import-export.md says -------------------------------------


def test_a_deleted_job_takes_its_spreadsheet_with_it(world, django_capture_on_commit_callbacks):
    job = taken_job(world.park_admin, status="checked", seconds_ago=0)
    path = job.file.path
    with django_capture_on_commit_callbacks(execute=True):
        world.park_admin.delete()  # the uploader's account goes, the job with it
    assert not ImportJob.objects.filter(pk=job.pk).exists()
    assert not os.path.exists(path)


def test_a_job_never_finished_is_failed_and_forgotten_after_the_keeping_days(world, settings):
    from dataio.tasks import forget_stale_import_files

    settings.IMPORT_KEEP_DAYS = 7
    stuck = taken_job(world.park_admin, status="queued", seconds_ago=0)
    young = taken_job(world.park_admin, status="checking", seconds_ago=0)
    ImportJob.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    path = stuck.file.path
    assert forget_stale_import_files() == 1
    stuck.refresh_from_db()
    young.refresh_from_db()
    assert stuck.status == "failed"
    assert stuck.error == "The import was never finished; nothing was written."
    assert not stuck.file
    assert not os.path.exists(path)
    assert young.status == "checking"
    assert young.file
