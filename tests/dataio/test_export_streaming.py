"""Exports that stream (dataio.exports, core.streaming) and large exports as a job (dataio.export_jobs)."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dataio import export_jobs
from dataio.models import ExportJob
from tests.dataio.test_exports import body

pytestmark = pytest.mark.django_db


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_large_export_goes_through_a_job_only_its_owner_downloads(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.HONGFAN_EXPORT_SYNC_ROWS = 1000
    client.force_login(world.park_admin)
    url = reverse("export", args=["members"])
    expected = csv_rows(body(client.get(url, {"format": "csv", "org": world.branch_a1.pk})))
    assert len(expected) == 1 + 3
    assert expected[0][0] == "姓名"

    settings.HONGFAN_EXPORT_SYNC_ROWS = 2  # three members: too many to send at once
    page = client.get(url, {"format": "csv", "org": world.branch_a1.pk})
    assert page.status_code == 200
    assert not page.streaming
    html = page.content.decode()
    assert 'id="start-export"' in html
    token = re.search(r'name="idempotency_token" value="([^"]+)"', html).group(1)
    form = {"format": "csv", "org": world.branch_a1.pk, "idempotency_token": token}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("export_job", args=[job.pk])
    assert (job.status, job.progress_done, job.progress_total) == ("done", 3, 3)
    assert job.params == {"org": world.branch_a1.pk, "activity": None, "period": ""}

    job_page = client.get(reverse("export_job", args=[job.pk])).content.decode()
    assert 'aria-valuenow="100"' in job_page
    assert reverse("export_job_download", args=[job.pk]) in job_page
    assert client.get(reverse("export_job_progress", args=[job.pk]))["HX-Redirect"] == reverse(
        "export_job", args=[job.pk]
    )
    download = client.get(reverse("export_job_download", args=[job.pk]))
    assert download.streaming
    assert "hongfan-members-" in download["Content-Disposition"]
    assert csv_rows(body(download)) == expected

    # A double submit (same form token): the same job, not a second one.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, form)
    assert again["Location"] == response["Location"]
    assert ExportJob.objects.count() == 1

    # Nobody else reaches the job or its file, not even someone who may export the same kind.
    client.force_login(world.official)
    for name in ("export_job", "export_job_progress", "export_job_download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404

    # Once expired the file is deleted and the link is gone.
    client.force_login(world.park_admin)
    name = job.file.name
    later = timezone.now() + datetime.timedelta(hours=settings.HONGFAN_EXPORT_KEEP_HOURS + 1)
    assert export_jobs.forget_expired(now=later) == 1
    job.refresh_from_db()
    assert job.status == "expired"
    assert not job.file
    assert not job.file.storage.exists(name)
    assert client.get(reverse("export_job_download", args=[job.pk])).status_code == 404
    assert 'id="job-expired"' in client.get(reverse("export_job", args=[job.pk])).content.decode()


def test_an_xlsx_job_has_the_rows_of_the_streamed_file(
    client, world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.official)
    url = reverse("export", args=["enterprises"])
    streamed = client.get(url)
    assert streamed.streaming
    expected = [list(r) for r in openpyxl.load_workbook(io.BytesIO(body(streamed))).active.iter_rows(values_only=True)]
    settings.HONGFAN_EXPORT_SYNC_ROWS = 0
    assert 'id="start-export"' in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"format": "xlsx"})  # without a token it still runs once
    job = ExportJob.objects.get(user=world.official)
    assert job.status == "done"
    workbook = openpyxl.load_workbook(io.BytesIO(body(client.get(reverse("export_job_download", args=[job.pk])))))
    assert [list(r) for r in workbook.active.iter_rows(values_only=True)] == expected


def test_an_export_streams_with_the_same_queries_for_any_number_of_rows(client, world, django_assert_num_queries):
    from tests.activities.factories import ActivityFactory, AttendanceFactory
    from tests.factories import MemberFactory

    activity = ActivityFactory(host=world.branch_a1)
    AttendanceFactory(activity=activity, member=world.member_a1)
    client.force_login(world.park_admin)
    url = reverse("export", args=["attendance"])

    def export(file_format):
        response = client.get(url, {"format": file_format})
        assert response.status_code == 200
        assert response.streaming
        return body(response)  # the rows are read while the response is sent

    export("csv")  # the session, the user's scope
    queries = {}
    for file_format in ("csv", "xlsx"):
        with CaptureQueriesContext(connection) as one_row:
            export(file_format)
        queries[file_format] = len(one_row.captured_queries)
    for member in MemberFactory.create_batch(25, organization=world.branch_a1):
        AttendanceFactory(activity=activity, member=member)
    with django_assert_num_queries(queries["csv"]):
        rows = csv_rows(export("csv"))
    assert len(rows) == 1 + 26
    with django_assert_num_queries(queries["xlsx"]):
        workbook = openpyxl.load_workbook(io.BytesIO(export("xlsx")))
    assert workbook.active.max_row == 1 + 26
