"""Import pages and jobs (portal.imports, portal.views_imports) on the real engine."""

import datetime
import io
import os

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.codes import make_id_number
from dataio.models import ImportJob, ImportRow
from members.models import Member

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "所在党组织", "发展阶段", "申请入党日期", "手机号码"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def member_row(n, org_code, *, name=None):
    birth = datetime.date(1986, 3, 1) + datetime.timedelta(days=n)
    number = make_id_number(division="330402", birth_date=birth, gender="M", sequence=n % 900 + 1)
    return [
        name or f"导入党员{n}",
        number,
        "男",
        birth.isoformat(),
        org_code,
        "入党申请人",
        "2024-01-02",
        f"139{n:08d}",
    ]


def xlsx(rows, headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, kind, data, name="members.xlsx"):
    return client.post(reverse("imports"), {"kind": kind, "file": SimpleUploadedFile(name, data, XLSX)})


def test_dry_run_preview_then_confirm_writes(client, world, django_capture_on_commit_callbacks):
    rows = [member_row(i, world.branch_a1.code) for i in range(3)]
    before = Member.objects.count()
    client.force_login(world.park_admin)
    response = upload(client, "members", xlsx(rows))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("import_job", args=[job.pk])
    assert job.status == "checked"
    assert Member.objects.count() == before

    page = client.get(response.url).content.decode()
    assert 'id="confirm-import"' in page
    assert page.count('data-action="new"') == 3
    assert "导入党员1" in page
    # The stored report and the page keep ID numbers masked.
    stored = str(list(ImportRow.objects.filter(job=job).values("values", "errors")))
    assert rows[0][1] not in page
    assert rows[0][1] not in stored
    assert rows[0][1][:6] + "********" + rows[0][1][-4:] in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "committed"
    assert job.result_report["counts"]["new"] == 3
    assert Member.objects.count() == before + 3
    assert Member.objects.by_id_number(rows[2][1]).get().organization == world.branch_a1
    assert not job.file  # the spreadsheet, with its plain ID numbers, is not kept
    assert not ImportRow.objects.filter(job=job).exists()  # nor the preview
    page = client.get(response.url).content.decode()
    assert "The file has been written." in page
    assert 'id="confirm-import"' not in page
    # Confirmed twice: refused, nothing written twice.
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 400
    assert Member.objects.count() == before + 3


def test_a_file_with_errors_has_no_confirm_and_writes_nothing(client, world):
    rows = [member_row(i, world.branch_a1.code) for i in range(4)]
    rows[2][1] = rows[2][1][:-1] + ("0" if rows[2][1][-1] != "0" else "1")  # a wrong check character
    before = Member.objects.count()
    client.force_login(world.secretary)
    upload(client, "members", xlsx(rows))
    job = ImportJob.objects.get()
    assert job.status == "checked"
    assert job.error_count == 1
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'id="confirm-import"' not in page
    assert "Nothing will be written" in page
    assert page.index('data-action="error"') < page.index('data-action="new"')  # errors first
    error_row = ImportRow.objects.get(job=job, action="error")
    assert error_row.position == 0  # errors first
    assert error_row.errors[0][0]
    assert error_row.errors[0][0] in page
    # The uploader sees the digits of their own mistyped number (#15); the stored row keeps it masked.
    assert rows[2][1] in page
    assert rows[2][1] not in str(error_row.values)
    errors_only = client.get(reverse("import_job", args=[job.pk]), {"action": "error"}).content.decode()
    assert errors_only.count("data-action=") == 1
    response = client.post(reverse("import_confirm", args=[job.pk]))
    assert response.status_code == 400
    assert "nothing will be written" in response.content.decode()
    assert Member.objects.count() == before


def test_a_refused_file_shows_its_reason_on_the_form(client, world):
    client.force_login(world.secretary)
    response = upload(client, "members", xlsx([["x", "y"]], headers=["foo", "bar"]))
    assert response.status_code == 400
    assert 'id="file-error"' in response.content.decode()
    assert ImportJob.objects.get().status == "refused"
    response = upload(client, "members", b"not a spreadsheet at all", name="members.pdf")
    assert response.status_code == 400
    assert "Upload an Excel (.xlsx) or CSV (.csv) file." in response.content.decode()


def test_a_file_over_the_cap_is_refused_with_a_message(client, world, settings):
    settings.HONGFAN_IMPORT_MAX_BYTES = 1000
    client.force_login(world.park_admin)
    response = upload(client, "members", xlsx([member_row(i, world.branch_a1.code) for i in range(50)]))
    assert response.status_code == 400
    assert "The file is larger than" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_job_belongs_to_its_uploader(client, world):
    client.force_login(world.park_admin)
    upload(client, "members", xlsx([member_row(1, world.branch_a1.code)]))
    job = ImportJob.objects.get()
    for other in (world.secretary, world.superuser, world.official):
        client.force_login(other)
        assert client.get(reverse("import_job", args=[job.pk])).status_code == 404
        assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 404
        assert client.get(reverse("import_job_progress", args=[job.pk])).status_code == 404
        assert 'id="job-list"' not in client.get(reverse("imports")).content.decode()
    job.refresh_from_db()
    assert job.status == "checked"


def test_kinds_follow_the_role(client, world):
    def kinds(user):
        client.force_login(user)
        return [code for code, _label in client.get(reverse("imports")).context["form"].fields["kind"].choices]

    assert kinds(world.park_admin) == ["enterprises", "organizations", "members", "attendance", "dues"]
    assert kinds(world.secretary) == ["members", "attendance", "dues"]
    assert upload(client, "enterprises", xlsx([["x"]])).status_code == 400
    assert client.get(reverse("import_template", args=["enterprises", "xlsx"])).status_code == 404
    assert kinds(world.official) == []  # exports only
    assert upload(client, "members", xlsx([["x"]])).status_code == 403
    for user in (world.member_user, world.service, world.outsider):
        client.force_login(user)
        assert client.get(reverse("imports")).status_code == 403


def test_rows_outside_the_scope_are_errors(client, world):
    """A secretary cannot import into another branch, a park administrator not into another park."""
    client.force_login(world.secretary)
    upload(client, "members", xlsx([member_row(1, world.branch_b.code)]))
    client.force_login(world.park_admin)
    upload(client, "members", xlsx([member_row(2, world.branch_a2.code)]))
    assert [job.error_count for job in ImportJob.objects.order_by("pk")] == [1, 1]


def test_the_template_has_chinese_headers_and_an_example(client, world):
    client.force_login(world.secretary)
    response = client.get(reverse("import_template", args=["members", "xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "姓名" in rows[0]
    assert "身份证号" in rows[0]
    assert len(rows) == 2
    response = client.get(reverse("import_template", args=["members", "csv"]))
    assert response.content.decode("utf-8-sig").startswith("姓名")


def test_large_files_go_through_the_task_with_progress(client, world, settings, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from dataio import jobs as imports

    settings.IMPORT_INLINE_MAX_BYTES = 10
    seen = []
    original = cache.set
    cache.set = lambda key, value, *a, **k: (seen.append(value), original(key, value, *a, **k))[1]
    try:
        rows = [member_row(i, world.branch_a1.code) for i in range(5)]
        client.force_login(world.park_admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, "members", xlsx(rows))
    finally:
        cache.set = original
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.task_id
    assert job.status == "checked"
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert (5, 5) in seen  # the live progress went through the cache
    assert cache.get(imports.progress_key(job.pk)) is None  # and is gone once the job moved on

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "committed"
    count = Member.objects.count()
    from dataio.tasks import run_import_job

    run_import_job(job.pk)  # redelivered after a lost worker: nothing happens twice
    job.refresh_from_db()
    assert job.status == "committed"
    assert Member.objects.count() == count


def test_progress_partial_polls_then_sends_the_page_on(client, world):
    from django.core.cache import cache

    from dataio.jobs import progress_key

    job = ImportJob.objects.create(user=world.park_admin, kind="members", filename="x.xlsx", status="checking")
    cache.set(progress_key(job.pk), (40, 100))
    client.force_login(world.park_admin)
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "40 of 100 rows" in page
    response = client.get(reverse("import_job_progress", args=[job.pk]))
    assert "40 of 100 rows" in response.content.decode()
    assert 'aria-valuenow="40"' in response.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status="checked", dry_run_report={"total": 0, "counts": {}})
    response = client.get(reverse("import_job_progress", args=[job.pk]))
    assert response["HX-Redirect"] == reverse("import_job", args=[job.pk])


def test_an_unexpected_engine_error_fails_the_job_not_the_page(client, world, monkeypatch):
    from core import importing as dataio

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dataio, "run_import", broken)
    client.force_login(world.park_admin)
    response = upload(client, "members", xlsx([member_row(1, world.branch_a1.code)]))
    job = ImportJob.objects.get()
    assert job.status == "failed"
    assert "nothing was written" in job.error
    assert "nothing was written" in client.get(response.url).content.decode()


def test_pages_cost_the_same_queries_whatever_the_rows(client, world, django_assert_max_num_queries):
    client.force_login(world.park_admin)
    upload(client, "members", xlsx([member_row(i, world.branch_a1.code) for i in range(150)]))
    job = ImportJob.objects.get()
    for _ in range(12):
        ImportJob.objects.create(user=world.park_admin, kind="members", filename="old.xlsx", status="committed")
    # 10: the page's 8 and the second factor's device look-up (accounts.twofactor, two queries).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("import_job", args=[job.pk]), {"page": 2})
    # Every row is listed, 100 a page.
    assert response.content.decode().count("data-line=") == 50
    assert client.get(reverse("import_job", args=[job.pk])).content.decode().count("data-line=") == 100
    with django_assert_max_num_queries(10):
        assert client.get(reverse("imports")).status_code == 200


def test_the_back_office_shows_jobs_read_only(client, world):
    mine = ImportJob.objects.create(user=world.park_admin, kind="members", filename="mine.csv", status="checked")
    ImportJob.objects.create(user=world.superuser, kind="members", filename="root.csv", status="checked")
    client.force_login(world.park_admin)
    page = client.get(reverse("admin:dataio_importjob_changelist")).content.decode()
    assert "mine.csv" in page
    assert "root.csv" not in page
    assert client.get(reverse("admin:dataio_importjob_change", args=[mine.pk])).status_code == 200
    assert client.post(reverse("admin:dataio_importjob_delete", args=[mine.pk]), {"post": "yes"}).status_code == 403
    client.force_login(world.superuser)
    assert "root.csv" in client.get(reverse("admin:dataio_importjob_changelist")).content.decode()


def test_the_menu_offers_imports_to_park_admins_and_secretaries(client, world):
    for user, shown in ((world.park_admin, True), (world.secretary, True), (world.member_user, False)):
        client.force_login(user)
        names = [item["url_name"] for item in client.get(reverse("home")).context["nav_items"]]
        assert ("imports" in names) is shown


def test_unconfirmed_files_are_forgotten_after_some_days(client, world, settings):
    import datetime

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from dataio.tasks import forget_stale_import_files

    assert PeriodicTask.objects.filter(task="portal.tasks.forget_stale_import_files").exists()
    settings.IMPORT_KEEP_DAYS = 7
    client.force_login(world.park_admin)
    upload(client, "members", xlsx([member_row(1, world.branch_a1.code)]))
    job = ImportJob.objects.get()
    path = job.file.path
    assert forget_stale_import_files() == 0
    assert job.file
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert forget_stale_import_files() == 1
    job.refresh_from_db()
    assert not job.file
    assert not os.path.exists(path)
    assert job.status == "checked"
    assert not ImportRow.objects.filter(job=job).exists()
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert 'id="confirm-import"' not in page
    assert "no longer kept" in page
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 400


def bad_id(row):
    row[1] = row[1][:-1] + ("0" if row[1][-1] != "0" else "1")  # a wrong check character
    return row


def test_a_long_file_is_stored_chunk_by_chunk_with_a_bounded_report(client, world, monkeypatch):
    """3 000 rows: the report held in memory keeps no row, every row is stored as ImportRow (errors
    first, then file order, positions 0..n-1 as before) and the preview lists every one."""
    from core import importing as dataio

    reports = []
    original = dataio.run_import

    def spy(**kwargs):
        report = original(**kwargs)
        reports.append(report)
        return report

    monkeypatch.setattr(dataio, "run_import", spy)
    rows = [member_row(i, world.branch_a1.code) for i in range(3000)]
    bad = (5, 1500, 2999)  # in the first, second and last chunks
    for index in bad:
        bad_id(rows[index])
    before = Member.objects.count()
    client.force_login(world.park_admin)
    response = upload(client, "members", xlsx(rows))
    job = ImportJob.objects.get()
    assert job.status == "checked"
    assert job.dry_run_report["total"] == 3000
    assert job.error_count == 3
    assert Member.objects.count() == before
    assert len(reports) == 1
    assert len(reports[0].rows) <= 10

    stored = list(ImportRow.objects.filter(job=job).order_by("position").values_list("position", "line", "action"))
    assert [position for position, _line, _action in stored] == list(range(3000))
    assert [(line, action) for _position, line, action in stored[:3]] == [(index + 2, "error") for index in bad]
    others = [line for _position, line, action in stored[3:]]
    assert others == sorted(set(range(2, 3002)) - {index + 2 for index in bad})
    assert {action for _position, _line, action in stored[3:]} == {"new"}
    assert rows[0][1] not in str(ImportRow.objects.filter(job=job, line=2).values("values").get())  # masked

    first = client.get(response.url).content.decode()
    assert first.index('data-action="error"') < first.index('data-action="new"')
    assert first.count('data-action="error"') == 3
    assert first.count("data-line=") == 100
    last = client.get(response.url, {"page": 30}).content.decode()
    assert last.count("data-line=") == 100
    assert 'data-line="3000"' in last
    errors_only = client.get(response.url, {"action": "error"}).content.decode()
    assert errors_only.count("data-action=") == 3


def test_a_write_that_finds_new_errors_shows_every_row_again(client, world, django_capture_on_commit_callbacks):
    """The data changed between the check and the write: nothing written, and the preview (stored
    again by a fresh check, the write keeping no rows) lists every row, the new errors first."""
    from parks.models import Organization
    from tests.factories import OrganizationFactory

    other = OrganizationFactory(name="支部A3", park=world.park_a1, parent=world.committee)
    rows = [member_row(i, (other if i % 2 else world.branch_a1).code) for i in range(1200)]
    client.force_login(world.park_admin)
    upload(client, "members", xlsx(rows))
    job = ImportJob.objects.get()
    assert job.status == "checked"
    assert job.may_confirm
    before = Member.objects.count()
    # Meanwhile a branch the file names is given another code: every other row now misses it.
    Organization.objects.filter(pk=world.branch_a1.pk).update(code="GONE-A1")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("import_confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "checked"
    assert "changed since the check" in job.error
    assert Member.objects.count() == before
    assert job.error_count == 600
    assert not job.may_confirm
    stored = list(ImportRow.objects.filter(job=job).order_by("position").values_list("position", "line", "action"))
    assert [position for position, _line, _action in stored] == list(range(1200))
    assert [(line, action) for _position, line, action in stored[:600]] == [(n, "error") for n in range(2, 1202, 2)]
    assert [(line, action) for _position, line, action in stored[600:]] == [(n, "new") for n in range(3, 1202, 2)]
    page = client.get(reverse("import_job", args=[job.pk]), {"page": 12}).content.decode()
    assert 'data-line="1201"' in page


def test_the_row_sink_numbers_errors_first_and_lays_late_errors_over(world):
    """``_RowSink`` on its own: chunks in file order, errors (and errors only a write finds, passed
    in) numbered first, the other rows after them in file order, 0..n-1 once closed."""
    from core.importing import RowResult
    from dataio.jobs import _RowSink

    job = ImportJob.objects.create(user=world.park_admin, kind="attendance", filename="a.xlsx")
    ImportRow.objects.create(job=job, position=0, line=99, action="new")  # a previous preview: replaced
    sink = _RowSink(job, late_errors={4: [("活动", "late")]})
    sink(
        [RowResult(line=2, action="new", values={"身份证号": "330402198603010011"}), RowResult(line=3, action="update")]
    )
    sink([RowResult(line=4, action="new"), RowResult(line=5, action="error", errors=[("姓名", "bad")])])
    sink([RowResult(line=6, action="unchanged")])
    sink.close()
    stored = list(ImportRow.objects.filter(job=job).order_by("position").values_list("position", "line", "action"))
    assert stored == [(0, 4, "error"), (1, 5, "error"), (2, 2, "new"), (3, 3, "update"), (4, 6, "unchanged")]
    assert ImportRow.objects.get(job=job, line=4).errors == [["活动", "late"]]
    assert ImportRow.objects.get(job=job, line=2).values == {"身份证号": "330402********0011"}
    assert sink.counts == {"new": 1, "update": 1, "unchanged": 1, "error": 2}
