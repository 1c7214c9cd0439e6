"""The import engine on members and enterprises: actions, scope, one transaction, query counts."""

import datetime

import pytest

from core import crypto
from core.codes import make_credit_code, make_id_number
from members.models import Member, StageChange
from parks.models import Enterprise

from .helpers import csv_bytes, read_xlsx, run, xlsx

pytestmark = pytest.mark.django_db

MEMBER_HEADERS = ["姓名", "身份证号", "性别", "出生日期", "所在党组织", "发展阶段", "申请入党日期", "手机号码"]


def member_row(n, org_code, *, name=None, stage="入党申请人", birth=None):
    birth = birth or datetime.date(1985, 1, 1) + datetime.timedelta(days=n)
    number = make_id_number(division="330402", birth_date=birth, gender="M", sequence=n % 900 + 1)
    return [name or f"导入党员{n}", number, "男", birth.isoformat(), org_code, stage, "2024-01-02", f"139{n:08d}"]


def test_members_new_then_unchanged_then_update(world):
    rows = [member_row(i, world.branch_a1.code) for i in range(3)]
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert report.committed, report.rows
    assert report.counts["new"] == 3
    member = Member.objects.by_id_number(rows[0][1]).get()
    assert member.organization == world.branch_a1
    assert member.stage == "applicant"
    assert member.birth_date == datetime.date(1985, 1, 1)
    assert StageChange.objects.filter(member=member, kind="initial").exists()
    assert member.history.count() == 1

    again = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert again.counts == {"new": 0, "update": 0, "unchanged": 3, "error": 0}

    rows[1][0] = "改名党员"
    third = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert third.counts["update"] == 1
    assert third.counts["unchanged"] == 2
    changed = Member.objects.by_id_number(rows[1][1]).get()
    assert changed.name == "改名党员"
    # bulk_update keeps the digest, so the number is still found.
    assert changed.id_number_digest == crypto.digest(rows[1][1])
    assert Member.objects.count() == 5 + 3


def test_dry_run_writes_nothing(world):
    rows = [member_row(i, world.branch_a1.code) for i in range(3)]
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows), dry_run=True)
    assert report.counts["new"] == 3
    assert not report.committed
    assert Member.objects.count() == 5


def test_any_error_writes_nothing_and_every_bad_row_is_reported(world):
    rows = [member_row(i, world.branch_a1.code) for i in range(5)]
    rows[1][1] = "330402198501010000"  # bad check digit
    rows[3][3] = "1970-01-01"  # birth date disagrees with the ID number
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert not report.committed
    assert report.counts["error"] == 2
    assert report.counts["new"] == 3
    errors = {row.line: row.errors for row in report.rows if row.action == "error"}
    assert set(errors) == {3, 5}  # spreadsheet line numbers (header is line 1)
    assert any(field == "ID number" for field, _message in errors[3])
    assert any(field == "birth date" for field, _message in errors[5])
    assert Member.objects.count() == 5


def test_duplicate_rows_in_one_file(world):
    rows = [member_row(i, world.branch_a1.code) for i in range(3)]
    rows.append(list(rows[0]))
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert not report.committed
    [bad] = [row for row in report.rows if row.action == "error"]
    assert bad.line == 5
    assert "line 2" in bad.errors[0][1]


def test_foreign_keys_resolved_in_scope_only(world):
    # A secretary of branch A1 naming branch A2 (same district, not theirs) and branch B.
    rows = [
        member_row(1, world.branch_a1.code),
        member_row(2, world.branch_a2.code),
        member_row(3, world.branch_b.code),
    ]
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, rows))
    assert [row.action for row in report.rows] == ["new", "error", "error"]
    assert "in your scope" in report.rows[1].errors[0][1]
    assert Member.objects.count() == 5
    # The park administrator of A1 may write A1 and its group, not A2.
    rows = [member_row(1, world.group_a1.code), member_row(2, world.branch_a2.code)]
    report = run("members", world.park_admin, xlsx(MEMBER_HEADERS, rows))
    assert [row.action for row in report.rows] == ["new", "error"]
    # A district official reads but does not write.
    report = run("members", world.official, xlsx(MEMBER_HEADERS, [member_row(1, world.branch_a1.code)]))
    assert report.counts["error"] == 1


def test_member_of_another_scope_is_not_updated(world):
    row = [
        world.member_b.name,
        world.member_b.id_number,
        "男",
        world.member_b.birth_date.isoformat(),
        world.branch_a1.code,
        "正式党员",
        "",
        "",
    ]
    report = run("members", world.secretary, xlsx(MEMBER_HEADERS, [row]))
    assert report.rows[0].action == "error"
    assert "outside your scope" in report.rows[0].errors[0][1]


def test_import_does_not_move_or_promote(world):
    member = world.member_a1_other
    row = [
        member.name,
        member.id_number,
        "男",
        member.birth_date.isoformat(),
        world.group_a1.code,
        "预备党员",
        "2015-03-01",
        "",
    ]
    report = run("members", world.superuser, xlsx(MEMBER_HEADERS, [row]))
    messages = " ".join(message for _field, message in report.rows[0].errors)
    assert "transfer" in messages
    assert "development steps" in messages


def test_stage_dates_checked(world):
    row = member_row(1, world.branch_a1.code)
    headers = MEMBER_HEADERS + ["转为正式党员日期"]
    report = run("members", world.secretary, xlsx(headers, [row + ["2024-05-01"]]))
    assert report.rows[0].action == "error"
    assert report.rows[0].errors[0][0] == "full member since"


def test_query_count_does_not_grow_with_rows(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for start, size in ((0, 50), (100, 500)):
        rows = [
            member_row(
                start + i, world.branch_a1.code, birth=datetime.date(1970, 1, 1) + datetime.timedelta(days=start + i)
            )
            for i in range(size)
        ]
        data = xlsx(MEMBER_HEADERS, rows)
        world.secretary._hongfan_scope = None
        del world.secretary._hongfan_scope
        with CaptureQueriesContext(connection) as queries:
            report = run("members", world.secretary, data)
        assert report.committed
        assert report.counts["new"] == size
        # SQLite caps the parameters of one statement, so its bulk INSERTs come in batches of a few
        # dozen rows; PostgreSQL takes BATCH_SIZE rows per INSERT.
        batched = connection.vendor == "sqlite"
        counts.append(sum(1 for q in queries if not (batched and q["sql"].startswith("INSERT"))))
    assert counts[0] == counts[1], counts


def test_progress_callback(world):
    calls = []
    rows = [member_row(i, world.branch_a1.code) for i in range(20)]
    run(
        "members", world.secretary, xlsx(MEMBER_HEADERS, rows), progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (20, 20)


def test_members_csv_gbk_and_bom(world):
    rows = [member_row(i, world.branch_a1.code) for i in range(2)]
    for encoding in ("gbk", "utf-8-sig", "utf-8"):
        report = run(
            "members", world.secretary, csv_bytes(MEMBER_HEADERS, rows, encoding), filename="m.csv", dry_run=True
        )
        assert report.counts["new"] == 2, (encoding, report.rows)


def test_english_headers_accepted(world):
    headers = ["name", "ID number", "gender", "birth date", "party organisation", "stage", "applied on", "mobile phone"]
    report = run("members", world.secretary, xlsx(headers, [member_row(1, world.branch_a1.code)]), dry_run=True)
    assert report.counts["new"] == 1, report.rows


# --- enterprises ----------------------------------------------------------------------------------

ENTERPRISE_HEADERS = ["企业名称", "统一社会信用代码", "园区", "行业", "员工人数"]


def test_enterprises_in_scope(world):
    code = make_credit_code(division="330402", sequence=5001)
    rows = [
        ["新企业", code, world.park_a1.name, "物流", 30],
        ["别的园区", make_credit_code(division="330402", sequence=5002), world.park_b.name, "物流", 3],
        ["坏代码", "91330402000000001X", world.park_a1.name, "", ""],
    ]
    report = run("enterprises", world.park_admin, xlsx(ENTERPRISE_HEADERS, rows))
    assert [row.action for row in report.rows] == ["new", "error", "error"]
    assert not Enterprise.objects.filter(credit_code=code).exists()
    report = run("enterprises", world.park_admin, xlsx(ENTERPRISE_HEADERS, rows[:1]))
    assert report.committed
    enterprise = Enterprise.objects.get(credit_code=code)
    assert enterprise.industry == "logistics"
    assert enterprise.employee_count == 30
    assert run("enterprises", world.park_admin, xlsx(ENTERPRISE_HEADERS, rows[:1])).counts["unchanged"] == 1
    # Another park's enterprise by its credit code: refused, not moved.
    row = ["企业B", world.enterprise_b.credit_code, world.park_a1.name, "物流", 3]
    report = run("enterprises", world.park_admin, xlsx(ENTERPRISE_HEADERS, [row]))
    assert "outside your scope" in report.rows[0].errors[0][1]


def test_missing_and_unknown_columns_are_named(world):
    from core.tabular import ImportRefused

    with pytest.raises(ImportRefused) as refused:
        run("enterprises", world.park_admin, xlsx(["企业名称", "颜色"], [["a", "b"]]))
    message = str(refused.value)
    assert "unified social credit code" in message
    assert "颜色" in message


def test_export_round_trip_changes_nothing(world):
    from core import importing as dataio

    data = dataio.export_dataset(kind="members", user=world.superuser)
    sheet = read_xlsx(data)
    assert len(sheet) == 1 + 5
    report = run("members", world.superuser, data)
    assert report.counts["unchanged"] == 5, [r for r in report.rows if r.action != "unchanged"]
    data = dataio.export_dataset(kind="enterprises", user=world.superuser)
    assert run("enterprises", world.superuser, data).counts["unchanged"] == 3
