"""Export downloads (portal.views_exports): scope, masking, formula safety, filters, buttons."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, MemberFactory

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    """The bytes of a download (exports are streamed)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def sheet(response) -> list[list]:
    assert response.status_code == 200, body(response)[:300]
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def names(rows) -> set:
    return {row[0] for row in rows[1:]}


def test_members_export_is_scoped_and_masked_by_role(client, world):
    client.force_login(world.park_admin)
    rows = sheet(client.get(reverse("export", args=["members"]), {"format": "xlsx"}))
    assert names(rows) == {"成员A1", "成员A1乙", "小组成员"}  # park A1 only
    id_column = rows[0].index("身份证号")
    full = {row[0]: row[id_column] for row in rows[1:]}
    assert full["成员A1"] == world.member_a1.id_number  # the park's administrator may see it

    client.force_login(world.secretary)
    rows = sheet(client.get(reverse("export", args=["members"])))
    masked = {row[0]: row[id_column] for row in rows[1:]}
    assert masked["成员A1"] == world.member_a1.id_number_masked
    assert "成员B" not in masked

    client.force_login(world.official)
    rows = sheet(client.get(reverse("export", args=["members"])))
    assert "成员A2" in names(rows)
    assert "成员B" not in names(rows)
    assert {row[id_column] for row in rows[1:]} == {
        m.id_number_masked for m in (world.member_a1, world.member_a1_other, world.member_group, world.member_a2)
    }


def test_cells_cannot_smuggle_formulas_and_numbers_stay_numbers(client, world):
    EnterpriseFactory(name='=HYPERLINK("http://evil")', park=world.park_a1, employee_count=42)
    client.force_login(world.park_admin)
    rows = sheet(client.get(reverse("export", args=["enterprises"])))
    bad = next(row for row in rows[1:] if "HYPERLINK" in str(row[0]))
    assert bad[0].startswith("'=")
    assert 42 in bad
    response = client.get(reverse("export", args=["enterprises"]), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = body(response).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=" not in text
    assert ",=" not in text


def test_narrowed_to_an_organisation_in_scope_only(client, world):
    client.force_login(world.park_admin)
    rows = sheet(client.get(reverse("export", args=["members"]), {"org": world.group_a1.pk}))
    assert names(rows) == {"小组成员"}
    response = client.get(reverse("export", args=["members"]), {"org": world.branch_b.pk})
    assert response.status_code == 400
    assert "org" in response.json()
    assert client.get(reverse("export", args=["dues"]), {"period": "2026-13"}).status_code == 400
    assert client.get(reverse("export", args=["members"]), {"format": "pdf"}).status_code == 400


def test_kinds_follow_the_role(client, world):
    client.force_login(world.secretary)
    assert client.get(reverse("export", args=["enterprises"])).status_code == 404
    assert client.get(reverse("export", args=["dues"])).status_code == 200
    for user in (world.member_user, world.service, world.outsider):
        client.force_login(user)
        assert client.get(reverse("export", args=["members"])).status_code == 404
    client.logout()
    assert client.get(reverse("export", args=["members"])).status_code == 302


def test_export_queries_do_not_grow_with_rows(client, world, django_assert_max_num_queries):
    client.force_login(world.park_admin)
    with django_assert_max_num_queries(12) as few:
        sheet(client.get(reverse("export", args=["members"])))
    MemberFactory.create_batch(30, organization=world.branch_a1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = sheet(client.get(reverse("export", args=["members"])))
    assert len(rows) == 1 + 3 + 30


def test_list_pages_offer_the_exports(client, world):
    client.force_login(world.secretary)
    page = client.get(reverse("members:branch", args=[world.branch_a1.pk])).content.decode()
    assert f"{reverse('export', args=['members'])}?org={world.branch_a1.pk}" in page
    assert f"{reverse('export', args=['dues'])}?org={world.branch_a1.pk}" in page
    page = client.get(reverse("imports")).content.decode()
    assert 'data-export="members"' in page
    assert 'data-export="enterprises"' not in page


def test_csv_round_trip_headers(client, world):
    client.force_login(world.park_admin)
    response = client.get(reverse("export", args=["members"]), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0][0] == "姓名"
    assert len(rows) == 4


def test_dues_narrowed_to_a_period(client, world):
    import datetime
    from decimal import Decimal

    from members.models import DuesPayment

    for month in (1, 2, 5):
        DuesPayment.objects.create(
            member=world.member_a1,
            month=datetime.date(2026, month, 1),
            amount_due=Decimal("10"),
            amount_paid=Decimal("10"),
            paid_on=datetime.date(2026, month, 10),
        )
    client.force_login(world.secretary)
    assert len(sheet(client.get(reverse("export", args=["dues"])))) == 1 + 3
    assert len(sheet(client.get(reverse("export", args=["dues"]), {"period": "2026-Q1"}))) == 1 + 2
    assert len(sheet(client.get(reverse("export", args=["dues"]), {"period": "2026-05"}))) == 1 + 1


def test_activity_pages_offer_the_attendance_export(client, world):
    from tests.activities.factories import ActivityFactory

    activity = ActivityFactory(host=world.branch_a1)
    client.force_login(world.secretary)
    page = client.get(reverse("activities:detail", args=[activity.pk])).content.decode()
    assert f"{reverse('export', args=['attendance'])}?activity={activity.pk}" in page
    page = client.get(reverse("activities:list"), {"period": "2026-04"}).content.decode()
    assert 'id="export-attendance"' in page
    assert "period=2026-04" in page
    client.force_login(world.member_user)
    assert 'id="export-attendance"' not in client.get(reverse("activities:list")).content.decode()


def test_attendance_of_one_activity(client, world):
    pytest.importorskip("activities.resources")
    from tests.activities.factories import ActivityFactory, AttendanceFactory

    activity = ActivityFactory(host=world.branch_a1)
    other = ActivityFactory(host=world.branch_a1)
    AttendanceFactory(activity=activity, member=world.member_a1)
    AttendanceFactory(activity=activity, member=world.member_a1_other)
    AttendanceFactory(activity=other, member=world.member_a1)
    client.force_login(world.secretary)
    assert len(sheet(client.get(reverse("export", args=["attendance"]), {"activity": activity.pk}))) == 1 + 2
    activity_b = ActivityFactory(host=world.branch_b)
    response = client.get(reverse("export", args=["attendance"]), {"activity": activity_b.pk})
    assert response.status_code == 400


def test_an_export_uploaded_again_changes_nothing(client, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dataio.models import ImportJob

    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.park_admin)  # may see full ID numbers: the export can come back
    content = body(client.get(reverse("export", args=["members"])))
    upload = SimpleUploadedFile("members.xlsx", content)
    response = client.post(reverse("imports"), {"kind": "members", "file": upload})
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.dry_run_report["counts"] == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
