"""Organisations, dues and attendance through the import engine; exports and templates."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from activities.models import Activity, Attendance
from core import importing as dataio
from core.codes import make_credit_code
from members.models import DuesPayment
from parks.models import Organization

from .helpers import csv_bytes, read_xlsx, run, xlsx

pytestmark = pytest.mark.django_db


# --- organisations --------------------------------------------------------------------------------

ORG_HEADERS = ["党组织名称", "党组织编码", "类别", "园区", "上级党组织", "覆盖企业", "本届开始"]


def test_organizations_with_parent_in_file_and_enterprises(world):
    rows = [
        [
            "新支部",
            "NEW001",
            "党支部",
            world.park_a1.name,
            world.branch_a1.code,
            world.enterprise_a1.credit_code,
            "2025-07-01",
        ],
        ["新小组", "NEW002", "党小组", world.park_a1.name, "NEW001", "", ""],
    ]
    dry = run("organizations", world.park_admin, xlsx(ORG_HEADERS, rows), dry_run=True)
    assert dry.counts["new"] == 2, dry.rows
    assert not Organization.objects.filter(code="NEW001").exists()
    report = run("organizations", world.park_admin, xlsx(ORG_HEADERS, rows))
    assert report.committed, report.rows
    branch = Organization.objects.get(code="NEW001")
    group = Organization.objects.get(code="NEW002")
    assert group.parent == branch
    assert branch.parent == world.branch_a1
    assert branch.district == world.district_a
    assert list(branch.enterprises.all()) == [world.enterprise_a1]
    assert branch.term_end == datetime.date(2028, 7, 1)  # three years, as Organization.save() sets
    again = run("organizations", world.park_admin, xlsx(ORG_HEADERS, rows))
    assert again.counts["unchanged"] == 2, again.rows


def test_organizations_scope_and_rules(world):
    rows = [
        ["B的支部", "NEWB", "党支部", world.park_b.name, "", "", ""],  # another district's park
        ["小组下", "NEWC", "党支部", world.park_a1.name, world.group_a1.code, "", ""],  # below a party group
        ["改B", world.branch_b.code, "党支部", world.park_a1.name, "", "", ""],  # someone else's code
        ["无园区", "NEWD", "党委", "", "", "", ""],  # no park: superusers only
    ]
    report = run("organizations", world.park_admin, xlsx(ORG_HEADERS, rows))
    assert [row.action for row in report.rows] == ["error"] * 4
    assert "No park named" in report.rows[0].errors[0][1]
    assert "party group cannot have sub-units" in report.rows[1].errors[0][1]
    assert "outside your scope" in report.rows[2].errors[0][1]
    assert not Organization.objects.filter(code__startswith="NEW").exists()


def test_organization_cycle_refused(world):
    rows = [[world.committee.name, world.committee.code, "党委", "", world.branch_a1.code, "", ""]]
    report = run("organizations", world.superuser, xlsx(ORG_HEADERS, rows))
    assert report.rows[0].action == "error"
    assert any("below itself" in message for _field, message in report.rows[0].errors)


# --- dues -----------------------------------------------------------------------------------------

DUES_HEADERS = ["身份证号", "姓名", "月份", "类别", "税后月工资收入", "实缴金额", "缴纳日期"]


def test_dues_computed_amount_and_update(world):
    member = world.member_a1
    rows = [[member.id_number, member.name, "2026-01", "在职", "6000", "60", "2026-01-15"]]
    headers = DUES_HEADERS
    report = run("dues", world.secretary, xlsx(headers, rows))
    assert report.committed, report.rows
    payment = DuesPayment.objects.get(member=member)
    assert payment.month == datetime.date(2026, 1, 1)
    assert payment.amount_due == Decimal("90.00")  # 1.5 % of 6000: the rule of members.rules.dues_amount
    assert run("dues", world.secretary, xlsx(headers, rows)).counts["unchanged"] == 1
    rows[0][5] = "30"
    assert run("dues", world.secretary, xlsx(headers, rows)).counts["update"] == 1
    payment.refresh_from_db()
    assert payment.amount_paid == Decimal("30")


def test_dues_rules_and_scope(world):
    future = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    rows = [
        [world.member_b.id_number, "", "2026-01", "在职", "6000", "60", "2026-01-15"],  # another branch
        [world.member_a1.id_number, "别人", "2026-02", "在职", "6000", "60", "2026-02-15"],  # wrong name
        [world.member_a1.id_number, "", "2026-03", "在职", "", "60", "2026-03-15"],  # no pay
        [world.member_a1.id_number, "", "2026-04", "在职", "6000", "60", future],  # paid in the future
        [world.member_a1.id_number, "", "2026-05", "在职", "6000", "60", "2026-05-01"],
        [world.member_a1.id_number, "", "2026-05", "在职", "6000", "60", "2026-05-01"],  # duplicate
    ]
    report = run("dues", world.secretary, xlsx(DUES_HEADERS, rows))
    assert [row.action for row in report.rows] == ["error", "error", "error", "error", "new", "error"]
    assert not DuesPayment.objects.exists()


# --- attendance -----------------------------------------------------------------------------------

ATTENDANCE_HEADERS = ["主办党组织", "开始时间", "身份证号", "出勤", "原因", "志愿服务时长"]


def _activity(world, **kwargs):
    starts = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=timezone.get_current_timezone())
    values = {"host": world.branch_a1, "kind": "themed_day", "title": "主题党日", "starts_at": starts}
    values.update(kwargs)
    return Activity.objects.create(**values)


def test_attendance_through_the_action(world):
    activity = _activity(world)
    rows = [
        [world.branch_a1.code, "2026-01-10 09:00", world.member_a1.id_number, "出席", "", "2"],
        [world.branch_a1.code, "2026-01-10 09:00", world.member_a1_other.id_number, "请假", "出差", ""],
        [world.branch_a1.code, "2026-01-10 09:00", world.member_group.id_number, "缺席", "", ""],
    ]
    report = run("attendance", world.secretary, xlsx(ATTENDANCE_HEADERS, rows))
    assert report.committed, report.rows
    activity.refresh_from_db()
    assert activity.status == Activity.Status.HELD  # as attendance_record makes it
    present = Attendance.objects.get(activity=activity, member=world.member_a1)
    assert present.volunteer_hours == Decimal("2")
    again = run("attendance", world.secretary, xlsx(ATTENDANCE_HEADERS, rows))
    assert again.counts["unchanged"] == 3


def test_attendance_rules(world):
    _activity(world)
    other = _activity(world, host=world.branch_b, title="B")
    rows = [
        [world.branch_a1.code, "2026-01-10 09:00", world.member_a2.id_number, "出席", "", ""],  # not of the host
        [world.branch_a1.code, "2026-01-10 09:00", world.member_a1.id_number, "请假", "", ""],  # leave, no reason
        [world.branch_a1.code, "2026-01-10 09:00", world.member_a1_other.id_number, "出席", "", "30"],  # hours
        [world.branch_b.code, "2026-01-10 09:00", world.member_b.id_number, "出席", "", ""],  # not in scope
        [world.branch_a1.code, "2026-01-11 09:00", world.member_a1.id_number, "出席", "", ""],  # no activity
    ]
    report = run("attendance", world.secretary, xlsx(ATTENDANCE_HEADERS, rows))
    assert [row.action for row in report.rows] == ["error"] * 5, report.rows
    assert not Attendance.objects.exists()
    assert other.attendances.count() == 0


# --- exports and templates ------------------------------------------------------------------------


def test_export_is_scoped_and_masked(world):
    # The district official sees district A's members, masked.
    rows = read_xlsx(dataio.export_dataset(kind="members", user=world.official))
    headers, body = rows[0], rows[1:]
    assert headers[:2] == ["姓名", "身份证号"]
    names = {row[0] for row in body}
    assert "成员B" not in names
    assert "成员A1" in names
    assert all("********" in row[1] for row in body)
    phone = headers.index("手机号码")
    assert all("****" in row[phone] for row in body)
    # The park administrator of A1 sees the full numbers of their park's members.
    rows = read_xlsx(dataio.export_dataset(kind="members", user=world.park_admin))
    assert {row[1] for row in rows[1:]} == {
        world.member_a1.id_number,
        world.member_a1_other.id_number,
        world.member_group.id_number,
    }


def test_export_escapes_formulas_and_keeps_numbers(world):
    world.enterprise_a1.name = '=HYPERLINK("http://evil","x")'
    world.enterprise_a1.investor_name = "@SUM(1+1)"
    world.enterprise_a1.employee_count = 42
    world.enterprise_a1.save()
    world.enterprise_a2.name = "\t-2+3"
    world.enterprise_a2.save()
    for file_format in ("xlsx", "csv"):
        data = dataio.export_dataset(kind="enterprises", user=world.superuser, file_format=file_format)
        if file_format == "xlsx":
            workbook = openpyxl.load_workbook(io.BytesIO(data))
            cells = [cell for row in workbook.active.iter_rows() for cell in row]
            assert not any(cell.data_type == "f" for cell in cells)
            values = [cell.value for cell in cells]
            assert 42 in values  # a number, not "42"
            values = [str(value) for value in values]
        else:
            values = [cell for line in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in line]
        assert '\'=HYPERLINK("http://evil","x")' in values
        assert "'@SUM(1+1)" in values
        assert "'\t-2+3" in values
    # Re-imported, the quote is dropped again: nothing changes.
    data = dataio.export_dataset(kind="enterprises", user=world.superuser)
    assert run("enterprises", world.superuser, data).counts["unchanged"] == 3


def test_dues_export_numbers_and_round_trip(world):
    member = world.member_a1
    run(
        "dues",
        world.superuser,
        xlsx(DUES_HEADERS, [[member.id_number, "", "2026-01", "在职", "6000", "60", "2026-01-15"]]),
    )
    data = dataio.export_dataset(kind="dues", user=world.superuser)
    rows = read_xlsx(data)
    from django.utils.translation import gettext_lazy

    from core.resources import HEADER_LANGUAGE, in_language

    assert isinstance(rows[1][rows[0].index(in_language(gettext_lazy("amount due"), HEADER_LANGUAGE))], (int, float))
    assert run("dues", world.superuser, data).counts["unchanged"] == 1


def test_attendance_and_organization_round_trip(world):
    activity = _activity(world)
    run(
        "attendance",
        world.superuser,
        xlsx(
            ATTENDANCE_HEADERS,
            [[world.branch_a1.code, "2026-01-10 09:00", world.member_a1.id_number, "出席", "", "1.5"]],
        ),
    )
    data = dataio.export_dataset(kind="attendance", user=world.superuser)
    assert read_xlsx(data)[1][0] == activity.pk
    assert run("attendance", world.superuser, data).counts["unchanged"] == 1
    data = dataio.export_dataset(kind="organizations", user=world.superuser)
    report = run("organizations", world.superuser, data)
    assert report.counts["unchanged"] == 5, [r for r in report.rows if r.action != "unchanged"]


@pytest.mark.parametrize("kind", sorted(dataio.kinds()))
def test_template_has_chinese_headers_and_a_valid_example(kind):
    from core.resources import HEADER_LANGUAGE, in_language

    rows = read_xlsx(dataio.template_file(kind=kind))
    assert len(rows) == 2
    resource = dataio.resource_class(kind)(user=None)
    assert rows[0] == [in_language(column.header, HEADER_LANGUAGE) for column in resource.columns]
    if kind == "members":
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in header) for header in rows[0]), rows[0]
    csv_data = dataio.template_file(kind=kind, file_format="csv")
    assert csv_data.startswith(b"\xef\xbb\xbf")


def test_csv_export_gbk_reimport(world):
    code = make_credit_code(division="330402", sequence=7001)
    data = csv_bytes(["企业名称", "统一社会信用代码", "园区"], [["中文企业", code, world.park_a1.name]], "gbk")
    assert run("enterprises", world.park_admin, data, filename="e.csv").committed
