"""The audit of sensitive reads (issue #17): one append-only row per display or export of full ID
numbers to someone other than the member, scoped by park, purged only by the retention."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from core import importing
from core.models import AppendOnlyError, SensitiveRead
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


def member_change(member):
    return reverse("admin:members_member_change", args=[member.pk])


def test_a_park_admin_viewing_a_members_full_id_number_writes_exactly_one_row(client, world):
    client.force_login(world.park_admin)
    page = client.get(member_change(world.member_a1_other)).content.decode()
    assert world.member_a1_other.id_number in page
    row = SensitiveRead.objects.get()
    assert row.reader_id == world.park_admin.pk
    assert row.reader_name == "parkadmin"
    assert row.member_id == world.member_a1_other.pk
    assert row.member_count == 1
    assert row.park_id == world.park_a1.pk
    assert row.where == "admin:members_member_change"
    assert row.kind == SensitiveRead.Kind.DISPLAY


def test_the_back_office_list_writes_one_row_with_the_number_of_members(client, world):
    client.force_login(world.park_admin)
    page = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert world.member_a1_other.id_number in page
    row = SensitiveRead.objects.get()
    # Park A1's members: the member, the other member of the branch and the party group's member.
    assert row.member_count == 3
    assert row.member_id is None
    assert row.park_id == world.park_a1.pk


def test_the_member_viewing_their_own_full_number_writes_nothing(world):
    response = token_client(world.member_user).get(reverse("api:member-detail", args=[world.member_a1.pk]))
    assert response.status_code == 200
    assert response.json()["id_number"] == world.member_a1.id_number
    assert not SensitiveRead.objects.exists()


def test_masked_displays_write_nothing(world):
    response = token_client(world.official).get(reverse("api:member-detail", args=[world.member_a1.pk]))
    assert response.status_code == 200
    assert response.json()["id_number"] != world.member_a1.id_number
    assert token_client(world.secretary).get(reverse("api:member-list")).status_code == 200
    assert not SensitiveRead.objects.exists()


def test_the_api_reveal_path_writes_one_row_with_the_reason_given(world):
    url = reverse("api:member-detail", args=[world.member_a1_other.pk])
    response = token_client(world.park_admin).get(url, {"reason": "组织关系转接"})
    assert response.json()["id_number"] == world.member_a1_other.id_number
    row = SensitiveRead.objects.get()
    assert row.kind == SensitiveRead.Kind.API
    assert row.where == "api:member-detail"
    assert row.member_id == world.member_a1_other.pk
    assert row.reason == "组织关系转接"
    token_client(world.park_admin).get(reverse("api:member-list"))
    assert SensitiveRead.objects.filter(where="api:member-list", member_count=3).count() == 1


def test_an_export_with_full_id_numbers_writes_one_row_with_the_count(world):
    content = importing.export_dataset(kind="members", user=world.park_admin, file_format="csv")
    assert world.member_a1_other.id_number.encode() in content
    row = SensitiveRead.objects.get()
    assert row.kind == SensitiveRead.Kind.EXPORT
    assert row.where == "export:members"
    assert row.member_count == 3
    assert row.park_id == world.park_a1.pk
    # Masked for a district official: no row.
    importing.export_dataset(kind="members", user=world.official, file_format="csv")
    assert SensitiveRead.objects.count() == 1


def test_rows_are_never_updated_nor_deleted(world):
    row = SensitiveRead.objects.create(reader=world.park_admin, reader_name="parkadmin", kind="display", where="x")
    row.reason = "changed"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        SensitiveRead.objects.filter(pk=row.pk).update(reason="changed")
    with pytest.raises(AppendOnlyError):
        SensitiveRead.objects.all().delete()
    assert SensitiveRead.objects.get().reason == ""


def test_the_back_office_audit_is_read_only_and_scoped_by_park(client, world):
    mine = SensitiveRead.objects.create(
        reader=world.park_admin, reader_name="reader-of-a1", kind="display", where="x", park_id=world.park_a1.pk
    )
    SensitiveRead.objects.create(
        reader=world.superuser, reader_name="reader-of-b", kind="display", where="x", park_id=world.park_b.pk
    )
    assert list(SensitiveRead.objects.visible_to(world.park_admin)) == [mine]
    assert not SensitiveRead.objects.visible_to(world.official).exists()
    client.force_login(world.park_admin)
    page = client.get(reverse("admin:core_sensitiveread_changelist")).content.decode()
    assert "reader-of-a1" in page
    assert "reader-of-b" not in page
    assert client.get(reverse("admin:core_sensitiveread_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:core_sensitiveread_delete", args=[mine.pk])).status_code == 403
    assert client.post(reverse("admin:core_sensitiveread_add"), {}).status_code == 403
    client.force_login(world.superuser)
    page = client.get(reverse("admin:core_sensitiveread_changelist")).content.decode()
    assert "reader-of-b" in page
    assert client.get(reverse("admin:core_sensitiveread_delete", args=[mine.pk])).status_code == 403


def test_the_retention_deletes_only_older_rows(world, settings):
    settings.HONGFAN_AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    old = SensitiveRead.objects.create(reader_name="a", kind="display", where="x", at=now - datetime.timedelta(days=31))
    recent = SensitiveRead.objects.create(
        reader_name="b", kind="display", where="x", at=now - datetime.timedelta(days=29)
    )
    call_command("purge_sensitive_reads", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert list(SensitiveRead.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk


def test_the_superusers_home_counts_reads(client, world):
    SensitiveRead.objects.create(reader_name="parkadmin", kind="display", where="x")
    SensitiveRead.objects.create(reader_name="parkadmin", kind="api", where="y")
    SensitiveRead.objects.create(
        reader_name="secretary", kind="api", where="y", at=timezone.now() - datetime.timedelta(days=3)
    )
    SensitiveRead.objects.create(
        reader_name="old", kind="api", where="y", at=timezone.now() - datetime.timedelta(days=10)
    )
    client.force_login(world.superuser)
    html = client.get(reverse("home")).content.decode()
    assert 'id="audit-week">3<' in html
    assert "parkadmin</span> · 2" in html
    assert "old</span>" not in html
    client.force_login(world.park_admin)
    assert "card-sensitive-reads" not in client.get(reverse("home")).content.decode()
