"""The back office shows transfers and dues read-only, within scope."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from members import actions
from members.models import DuesPayment, Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer_and_dues(world):
    transfer = actions.transfer_request(
        member=world.member_a1, by=world.member_user, reason="到园区B工作", to_organization=world.branch_b
    )
    DuesPayment.objects.create(
        member=world.member_b,
        month=datetime.date(2026, 1, 1),
        amount_due=Decimal("10"),
        amount_paid=Decimal("10"),
        paid_on=datetime.date(2026, 2, 1),
    )
    return transfer


@pytest.mark.parametrize("model", ["transfer", "duespayment", "applicationtalk"])
def test_superuser_sees_the_lifecycle_models(client, world, transfer_and_dues, model):
    client.force_login(world.superuser)
    assert client.get(reverse(f"admin:members_{model}_changelist")).status_code == 200


def test_park_admin_sees_their_parks_rows_only_and_cannot_write(client, world, transfer_and_dues):
    client.force_login(world.park_admin)
    page = client.get(reverse("admin:members_transfer_changelist")).content.decode()
    assert "成员A1" in page
    detail = client.get(reverse("admin:members_transfer_change", args=[transfer_and_dues.pk]))
    assert detail.status_code == 200
    assert "到园区B工作" in detail.content.decode()
    dues = client.get(reverse("admin:members_duespayment_changelist")).content.decode()
    assert "成员B" not in dues
    assert client.get(reverse("admin:members_transfer_add")).status_code == 403
    client.post(reverse("admin:members_transfer_change", args=[transfer_and_dues.pk]), {"status": "completed"})
    transfer_and_dues.refresh_from_db()
    assert transfer_and_dues.status == Transfer.Status.REQUESTED
