"""Import by page in a real browser: upload an xlsx → preview of every row → confirm → result;
a file with an error offers no confirmation; the progress bar polls until the check is done."""

import datetime
import io

import openpyxl
import pytest

from .conftest import DESKTOP, PHONE, login, screenshot

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "所在党组织", "发展阶段", "申请入党日期", "手机号码"]


@pytest.fixture
def world_committed(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from tests.scenario import build_world

    return build_world()


def members_xlsx(path, org_code, *, count=3, bad_line=None):
    from core.codes import make_id_number

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for n in range(count):
        birth = datetime.date(1990, 5, 1) + datetime.timedelta(days=n)
        number = make_id_number(division="330402", birth_date=birth, gender="M", sequence=n + 1)
        if n == bad_line:
            number = number[:-1] + ("1" if number[-1] != "1" else "2")
        sheet.append(
            [f"新党员{n}", number, "男", birth.isoformat(), org_code, "入党申请人", "2025-02-01", f"137{n:08d}"]
        )
    workbook.save(path)
    return path


def test_upload_preview_confirm(new_page, world_committed, tmp_path):
    from members.models import Member

    w = world_committed
    before = Member.objects.count()
    page = new_page(viewport=DESKTOP)
    login(page, "parkadmin")
    page.click("text=Import and export")
    page.wait_for_load_state("networkidle")
    assert page.locator("#import-form").is_visible()
    screenshot(page, "import-index-parkadmin")
    with page.expect_download() as download:
        page.click("a[data-template=members]")
    assert download.value.suggested_filename == "Party member roll-import template.xlsx"
    template = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    assert "身份证号" in [cell.value for cell in template[1]]
    assert template.max_row == 2

    page.select_option("select[name=kind]", "members")
    page.set_input_files("input[name=file]", str(members_xlsx(tmp_path / "新党员.xlsx", w.branch_a1.code)))
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#preview tbody tr[data-action=new]").count() == 3
    assert page.inner_text("[data-count=new]") == "3"
    assert page.locator("#confirm-import").is_visible()
    assert Member.objects.count() == before  # checked, not written
    screenshot(page, "import-preview-parkadmin")

    page.click("#confirm-import")
    page.wait_for_load_state("networkidle")
    assert page.locator("#import-result").is_visible()
    assert "3 new, 0 updated, 0 unchanged" in page.inner_text("#import-result")
    assert Member.objects.count() == before + 3
    screenshot(page, "import-result-parkadmin")


def test_a_file_with_an_error_cannot_be_confirmed(new_page, world_committed, tmp_path):
    w = world_committed
    page = new_page(viewport=PHONE, locale="zh-CN")
    login(page, "secretary")
    page.goto("/imports/")
    screenshot(page, "import-index-secretary-phone-zh")
    page.set_input_files("input[name=file]", str(members_xlsx(tmp_path / "bad.xlsx", w.branch_a1.code, bad_line=1)))
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    assert page.locator("#nothing-written").is_visible()
    assert page.locator("#confirm-import").count() == 0
    assert page.locator("#preview tbody tr").first.get_attribute("data-action") == "error"
    screenshot(page, "import-preview-error-secretary-phone-zh")


def test_every_problem_of_a_row_is_marked_on_its_cell(new_page, world_committed, tmp_path):
    w = world_committed
    path = members_xlsx(tmp_path / "three.xlsx", w.branch_a1.code, bad_line=1)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    sheet["C3"] = "未知"  # gender: not a choice
    sheet["E3"] = "330000-99-99"  # no such organisation
    workbook.save(path)
    wrong_number = sheet["B3"].value
    page = new_page(viewport=DESKTOP, locale="zh-CN")
    login(page, "secretary")
    page.goto("/imports/")
    page.set_input_files("input[name=file]", str(path))
    page.click("#import-submit")
    page.wait_for_load_state("networkidle")
    row = page.locator('#preview tbody tr[data-line="3"]')
    assert row.get_attribute("data-action") == "error"
    marked = row.locator("td.cell-error")
    assert marked.count() == 3
    for index in range(3):
        assert marked.nth(index).get_attribute("title")
    # The uploader sees the digits they typed in the cell at fault; the other rows stay masked.
    assert wrong_number in row.inner_text()
    assert "********" in page.locator('#preview tbody tr[data-line="2"]').inner_text()
    screenshot(page, "import-preview-cells-at-fault-secretary-zh")


def test_the_progress_bar_polls_until_the_check_is_done(new_page, world_committed):
    from django.core.cache import cache

    from dataio.jobs import progress_key
    from dataio.models import ImportJob

    w = world_committed
    job = ImportJob.objects.create(user=w.park_admin, kind="members", filename="大文件.xlsx", status="checking")
    cache.set(progress_key(job.pk), (1200, 5000))
    page = new_page(viewport=DESKTOP)
    login(page, "parkadmin")
    page.goto(f"/imports/{job.pk}/")
    page.wait_for_selector("#import-progress")
    cache.set(progress_key(job.pk), (3500, 5000))
    page.wait_for_function("document.querySelector('#progress-count').textContent.includes('3500')")
    screenshot(page, "import-progress-parkadmin")
    from dataio.models import ImportRow

    ImportRow.objects.create(job=job, position=0, line=2, action="new", values={"name": "甲"})
    ImportJob.objects.filter(pk=job.pk).update(
        status="checked",
        file="imports/大文件.xlsx",
        progress_done=5000,
        progress_total=5000,
        dry_run_report={
            "total": 1,
            "counts": {"new": 1, "update": 0, "unchanged": 0, "error": 0},
        },
    )
    page.wait_for_selector("#confirm-import")
    assert page.locator("#preview tbody tr[data-action=new]").count() == 1
