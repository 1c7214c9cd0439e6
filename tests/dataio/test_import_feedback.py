"""Import feedback (issue #15): every problem of a row, the cells at fault marked, the uploader's
own values in those cells, and templates with the codes of the user's scope."""

import io
import re

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from core import importing
from core.resources import EXAMPLE_ORGANIZATION_CODE
from dataio.jobs import _forget_file
from dataio.models import ImportJob, ImportRow
from members.models import Member
from members.resources import writable_organizations

from .test_imports import member_row, upload, xlsx

pytestmark = pytest.mark.django_db

HEADERS = ["姓名", "身份证号", "性别", "出生日期", "所在党组织", "发展阶段", "申请入党日期", "手机号码", "学历"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def named(msgid: str, language: str) -> str:
    """A column header as the check named it, in the uploader's language."""
    with translation.override(language or "zh-hans"):
        return translation.gettext(msgid)


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def error_cells(page: str, line: int) -> dict[str, str]:
    """column → title of the cells marked at fault in the preview row of ``line``."""
    row = re.search(rf'<tr[^>]*data-line="{line}"[^>]*>(.*?)</tr>', page, re.S)
    assert row, f"no preview row for line {line}"
    return dict(re.findall(r'<td class="[^"]*cell-error[^"]*" data-column="([^"]*)" title="([^"]*)"', row[1]))


def cell_text(page: str, line: int, column_index: int) -> str:
    row = re.search(rf'<tr[^>]*data-line="{line}"[^>]*>(.*?)</tr>', page, re.S)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)
    return re.sub(r"<[^>]+>", "", cells[3 + column_index]).strip()  # line, result, problems first


def test_a_row_with_three_problems_reports_all_three_with_their_cells(client, world):
    good = member_row(1, world.branch_a1.code) + ["本科"]
    bad = member_row(2, "330000-99-99") + ["博士后以上"]  # unknown organisation, unknown education
    bad[1] = wrong_check_digit(bad[1])  # and a wrong check digit
    before = Member.objects.count()
    client.force_login(world.secretary)
    upload(client, "members", xlsx([good, bad], headers=HEADERS))
    job = ImportJob.objects.get()
    row = ImportRow.objects.get(job=job, action="error")
    assert row.line == 3
    columns = [column for column, _message in row.errors]
    # The columns are named in the uploader's language, as the check ran in it.
    expected = {named(name, job.language) for name in ("ID number", "party organisation", "education")}
    assert set(columns) == expected, row.errors
    assert len(columns) == 3, row.errors

    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    marked = error_cells(page, 3)
    assert set(marked) == expected
    messages = dict(row.errors)
    for column, title in marked.items():
        assert title == messages[column]  # the reason on the cell itself
        assert messages[column] in page  # and in the visible list of problems
    assert 'aria-describedby="problem-3-' in page
    assert error_cells(page, 2) == {}  # the good row has no cell at fault

    # Nothing written, and the job cannot be confirmed.
    assert client.post(reverse("import_confirm", args=[job.pk])).status_code == 400
    assert Member.objects.count() == before


def test_a_bad_row_writes_nothing_even_in_a_real_run(world):
    rows = [member_row(i, world.branch_a1.code) + ["本科"] for i in range(3)]
    rows[1][4] = "330000-99-99"
    before = Member.objects.count()
    report = importing.run_import(
        kind="members",
        user=world.secretary,
        file=io.BytesIO(xlsx(rows, headers=HEADERS)),
        filename="m.xlsx",
        dry_run=False,
    )
    assert not report.committed
    assert report.counts["error"] == 1
    assert report.counts["new"] == 2
    assert Member.objects.count() == before


def test_the_uploader_sees_their_failing_id_number_unmasked_and_no_one_else(client, world):
    failing = member_row(3, world.branch_a1.code)
    failing[1] = wrong_check_digit(failing[1])
    passing = member_row(4, world.branch_a1.code)
    other_fault = member_row(5, "330000-99-99")  # fails on its organisation, not its ID number
    client.force_login(world.secretary)
    upload(client, "members", xlsx([failing, passing, other_fault]))
    job = ImportJob.objects.get()
    id_column = HEADERS.index("身份证号")

    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert cell_text(page, 2, id_column) == failing[1]  # their own digits, to see which one is wrong
    assert passing[1] not in page  # a row that passes stays masked
    assert cell_text(page, 3, id_column) == passing[1][:6] + "********" + passing[1][-4:]
    assert other_fault[1] not in page  # its ID number is not at fault: masked
    assert set(error_cells(page, 4)) == {named("party organisation", job.language)}

    # What is stored stays masked: the preview read the uploader's file back.
    stored = ImportRow.objects.get(job=job, line=2).values
    assert failing[1] not in str(stored)
    assert stored[named("ID number", job.language)] == failing[1][:6] + "********" + failing[1][-4:]

    # Anyone else reaches neither the job nor its values.
    client.force_login(world.park_admin)
    response = client.get(reverse("import_job", args=[job.pk]))
    assert response.status_code == 404
    assert failing[1] not in response.content.decode()

    # Once the file is no longer kept, the uploader too sees the masked number.
    _forget_file(job.pk)
    client.force_login(world.secretary)
    page = client.get(reverse("import_job", args=[job.pk])).content.decode()
    assert failing[1] not in page
    assert cell_text(page, 2, id_column) == failing[1][:6] + "********" + failing[1][-4:]


def _sheets(content: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]


@pytest.mark.parametrize("role", ["secretary", "park_admin"])
def test_the_template_lists_exactly_the_codes_of_the_users_scope(client, world, role):
    user = getattr(world, role)
    client.force_login(user)
    response = client.get(reverse("import_template", args=["members", "xlsx"]))
    assert response.status_code == 200
    main, reference = _sheets(response.content)
    scope = sorted(writable_organizations(user).values_list("code", "name"))
    assert scope  # the world gives both users organisations

    code_header, name_header = named("organisation code", "zh-hans"), named("organisation name", "zh-hans")
    headers = list(reference[0])
    codes = [row[headers.index(code_header)] for row in reference[1:] if row[headers.index(code_header)]]
    names = [row[headers.index(name_header)] for row in reference[1:] if row[headers.index(name_header)]]
    assert codes == [code for code, _name in scope]
    assert names == [name for _code, name in scope]
    assert world.branch_b.code not in codes  # another district's park
    if role == "secretary":
        assert world.branch_a2.code not in codes  # another branch of the same district
    # The example row names a real organisation of theirs.
    assert main[1][main[0].index("所在党组织")] == scope[0][0]
    # And the choice columns list what they accept.
    education = [row[headers.index("学历")] for row in reference[1:] if row[headers.index("学历")]]
    assert "本科" in education


def test_a_template_without_a_scope_shows_a_code_of_the_real_shape():
    main = _sheets(importing.template_file(kind="members"))[0]
    code = main[1][main[0].index("所在党组织")]
    assert code == EXAMPLE_ORGANIZATION_CODE
    assert re.fullmatch(r"\d{6}-\d{2}-\d{2}", code)
