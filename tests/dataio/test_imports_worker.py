"""A real Celery worker, fed through Redis, checks and writes a large import while the page polls.

Runs in CI's Celery step (`make test-celery`, CELERY_TEST_BROKER set); deselected elsewhere.
"""

import time

import pytest
from django.urls import reverse

from dataio.models import ImportJob
from members.models import Member

from .test_imports import member_row, upload, xlsx

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(settings, tmp_path):
    from tests.celery_worker import running_worker

    settings.MEDIA_ROOT = tmp_path
    with running_worker(settings):
        yield


def wait_for(job, status, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.status}, wanted {status}")


def test_a_large_import_is_checked_and_written_by_the_worker(worker, client, settings):
    from tests.scenario import build_world

    world = build_world()
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file goes to the worker
    client.force_login(world.park_admin)
    rows = [member_row(i, world.branch_a1.code) for i in range(40)]
    before = Member.objects.count()
    response = upload(client, "members", xlsx(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert "import-progress" in page or "confirm-import" in page  # polling, or already done
    job = wait_for(job, "checked")
    assert job.task_id
    assert job.progress_total == 40
    assert Member.objects.count() == before
    client.post(reverse("import_confirm", args=[job.pk]))
    job = wait_for(job, "committed")
    assert Member.objects.count() == before + 40
    assert client.get(reverse("import_job_progress", args=[job.pk]))["HX-Redirect"]


# The worker processes' settings: a job taken up more than three seconds ago whose row is not
# locked has lost its worker.
FAST_SWEEP = {"HONGFAN_JOB_HEARTBEAT_SECONDS": 1, "HONGFAN_JOB_STALE_SECONDS": 3}


@pytest.mark.postgres  # the worker processes share the test database
def test_a_write_whose_worker_is_killed_is_done_once_by_the_next_worker(client, settings, tmp_path):
    import signal

    from dataio.tasks import requeue_lost_import_jobs
    from tests.celery_worker import broker_only, until, worker_process
    from tests.scenario import build_world

    world = build_world()
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_INLINE_MAX_BYTES = 10  # every file goes to the worker
    media = {"DJANGO_MEDIA_ROOT": tmp_path, **FAST_SWEEP}
    client.force_login(world.park_admin)
    before = Member.objects.count()
    workers = []

    def start(**options):
        workers.append(worker_process(**media, **options))
        return workers[-1]

    with broker_only(settings):
        try:
            checker = start()
            upload(client, "members", xlsx([member_row(i, world.branch_a1.code) for i in range(40)]))
            job = until(ImportJob.objects.get(), lambda job: job.status == "checked", what="the check")
            checker.terminate()
            checker.wait(timeout=20)

            writer = start(slow_seconds=120)
            client.post(reverse("import_confirm", args=[job.pk]))
            job = until(job, lambda job: job.heartbeat_at is not None, what="the first writer")
            time.sleep(2)  # it has locked the row and is writing
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
            job.refresh_from_db()
            assert job.status == "committing"
            assert Member.objects.count() == before  # its transaction died with it

            start()
            job = until(
                job,
                lambda job: job.status in ("committed", "failed"),
                what="the second writer",
                tick=requeue_lost_import_jobs.delay,
            )
        finally:
            for process in workers:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
    assert job.status == "committed", job.error
    assert job.attempts == 3  # the check, the killed write, the write
    assert job.result_report["counts"]["new"] == 40
    assert Member.objects.count() == before + 40  # written once
    assert not job.file  # and the spreadsheet deleted
