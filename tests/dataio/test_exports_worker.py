"""A real Celery worker, fed through Redis, writes a large export; killed in the middle, the next
worker writes it (dataio.export_jobs, the sweep in tests/dataio/test_lost_exports.py).

Runs in CI's Celery step (`make test-celery`, CELERY_TEST_BROKER set); deselected elsewhere.
"""

import signal

import pytest
from django.urls import reverse

from dataio.models import ExportJob

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

# The worker processes' settings: a sign of life every second, lost after three without one.
FAST_SWEEP = {"HONGFAN_JOB_HEARTBEAT_SECONDS": 1, "HONGFAN_JOB_STALE_SECONDS": 3}


@pytest.mark.postgres  # the worker processes share the test database
def test_an_export_whose_worker_is_killed_is_written_by_the_next_worker(client, settings, tmp_path):
    from dataio.tasks import requeue_lost_export_jobs
    from tests.celery_worker import broker_only, until, worker_process
    from tests.scenario import build_world

    world = build_world()
    settings.MEDIA_ROOT = tmp_path
    settings.HONGFAN_EXPORT_SYNC_ROWS = 0  # every export goes to a worker
    options = {"DJANGO_MEDIA_ROOT": tmp_path, "HONGFAN_EXPORT_SYNC_ROWS": 0, **FAST_SWEEP}
    client.force_login(world.park_admin)
    workers = []

    with broker_only(settings):
        try:
            workers.append(worker_process(slow_seconds=120, **options))
            response = client.post(reverse("export", args=["members"]), {"format": "csv", "org": world.branch_a1.pk})
            job = ExportJob.objects.get()
            assert response["Location"] == reverse("export_job", args=[job.pk])
            sent_as = job.task_id
            job = until(
                job,
                lambda job: job.status == "running" and job.heartbeat_at and job.heartbeat_at > job.created_at,
                what="the first worker to take the export and beat",
            )
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            job.refresh_from_db()
            assert job.status == "running"  # lost: nobody will say otherwise
            assert not job.file

            workers.append(worker_process(**options))
            job = until(
                job,
                lambda job: job.status in ("done", "failed"),
                what="the second worker",
                tick=requeue_lost_export_jobs.delay,
            )  # the test plays beat
        finally:
            for process in workers:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
    assert job.status == "done", job.error
    assert job.attempts == 2
    assert job.task_id != sent_as  # queued again by the sweep, not by the broker's redelivery
    assert job.progress_done == 3
    download = client.get(reverse("export_job_download", args=[job.pk]))
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("姓名")
    assert len(text.splitlines()) == 1 + 3
