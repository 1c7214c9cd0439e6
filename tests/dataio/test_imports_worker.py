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
