"""The admin's import and export use the same resources, scope and checks as the import pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.codes import make_credit_code
from members.models import Member
from parks.models import Enterprise

from .helpers import read_xlsx, xlsx
from .test_members_enterprises import MEMBER_HEADERS, member_row

pytestmark = pytest.mark.django_db


def _import(client, url_name, data, filename="data.xlsx", fmt=0):
    url = reverse(url_name)
    return client.post(
        url,
        {"import_file": SimpleUploadedFile(filename, data), "format": fmt, "resource": 0},
        follow=False,
    )


def _confirm(client, url_name, response):
    form = response.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(reverse(url_name.replace("_import", "_process_import")), data)


def test_admin_import_members_scoped_then_confirmed(client, world):
    client.force_login(world.park_admin)
    rows = [member_row(1, world.branch_a1.code), member_row(2, world.branch_a2.code)]
    response = _import(client, "admin:members_member_import", xlsx(MEMBER_HEADERS, rows))
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()  # branch A2 is not in the park administrator's park
    assert Member.objects.count() == 5
    content = response.content.decode()
    assert "in your scope" in content

    response = _import(client, "admin:members_member_import", xlsx(MEMBER_HEADERS, rows[:1]))
    result = response.context["result"]
    assert not result.has_validation_errors()
    assert not result.has_errors()
    assert Member.objects.count() == 5  # the dry run wrote nothing
    response = _confirm(client, "admin:members_member_import", response)
    assert response.status_code == 302, response.content[:2000]
    assert Member.objects.count() == 6


def test_admin_import_refuses_hostile_file_with_its_message(client, world):
    client.force_login(world.park_admin)
    response = _import(client, "admin:parks_enterprise_import", b"PK\x03\x04garbage")
    assert response.status_code == 200
    assert "not a valid Excel workbook" in response.content.decode()


def test_admin_import_csv_gbk(client, world):
    client.force_login(world.park_admin)
    code = make_credit_code(division="330402", sequence=9001)
    data = f"企业名称,统一社会信用代码,园区\n中文企业,{code},{world.park_a1.name}\n".encode("gbk")
    response = _import(client, "admin:parks_enterprise_import", data, filename="e.csv", fmt=1)
    assert response.status_code == 200
    assert not response.context["result"].has_validation_errors(), response.context["result"].invalid_rows
    _confirm(client, "admin:parks_enterprise_import", response)
    assert Enterprise.objects.filter(credit_code=code).exists()


def test_admin_export_is_scoped(client, world):
    client.force_login(world.park_admin)
    response = client.post(
        reverse("admin:members_member_export"), {"format": 0, "resource": 0, "memberresource_name": True}
    )
    assert response.status_code == 200, response.content[:2000]
    rows = read_xlsx(response.content)
    # Park A1's members only, and (as their park's administrator) with the full numbers.
    assert {row[1] for row in rows[1:]} == {
        world.member_a1.id_number,
        world.member_a1_other.id_number,
        world.member_group.id_number,
    }


def test_admin_import_permission_follows_the_import_rules(client, world):
    client.force_login(world.park_admin)
    assert client.get(reverse("admin:parks_enterprise_import")).status_code == 200
    assert client.get(reverse("admin:activities_attendance_import")).status_code == 200
