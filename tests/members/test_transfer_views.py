import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from members import actions
from members.models import Member, Transfer

from .conftest import reload

pytestmark = pytest.mark.django_db


def act(client, transfer, step, **data):
    return client.post(reverse("members:transfer_act", args=[transfer.pk, step]), data)


def test_member_requests_by_the_form_and_sees_the_tracker(client, world):
    client.force_login(world.member_user)
    page = client.get(reverse("members:transfer_new"))
    assert page.status_code == 200
    found = client.get(reverse("members:destinations"), {"q": "园区B"})
    assert f'value="{world.branch_b.pk}"' in found.content.decode()
    response = client.post(
        reverse("members:transfer_new"),
        {
            "kind": "internal",
            "to_organization": world.branch_b.pk,
            "reason": "到园区B工作",
        },
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("members:transfer_detail", args=[transfer.pk])
    detail = client.get(response.url).content.decode()
    assert "到园区B工作" in detail
    assert 'id="timeline"' in detail
    assert 'id="next-step"' in detail
    assert "approve-form" not in detail  # the member cannot approve their own transfer
    # A second request goes back to the open one.
    assert client.get(reverse("members:transfer_new")).status_code == 302
    assert client.get(reverse("members:transfer_mine")).status_code == 200


def test_request_form_errors_are_400_not_500(client, world):
    client.force_login(world.member_user)
    for data in (
        {},
        {"kind": "internal", "reason": "x"},
        {"kind": "internal", "to_organization": "abc", "reason": "x"},
        {"kind": "out", "reason": "x"},
        {"kind": "zzz"},
        {"kind": "internal", "to_organization": world.branch_a1.pk, "reason": "x"},
    ):
        assert client.post(reverse("members:transfer_new"), data).status_code == 400, data
    assert not Transfer.objects.exists()


def test_crafted_posts_out_of_order_duplicate_and_out_of_scope_are_refused(client, world, requested):
    # Accept before approve.
    client.force_login(world.secretary_b)
    response = act(client, requested, "accept")
    assert response.status_code == 400
    assert "not been approved" in response.content.decode()
    assert reload(requested).status == Transfer.Status.REQUESTED
    # The receiving side may not approve.
    response = act(client, requested, "approve", valid_months=1)
    assert response.status_code == 400
    assert reload(requested).status == Transfer.Status.REQUESTED
    # Outside anyone's scope: the transfer does not exist for them.
    client.force_login(world.service)
    assert act(client, requested, "approve", valid_months=1).status_code == 404
    client.force_login(world.outsider)
    assert client.get(reverse("members:transfer_detail", args=[requested.pk])).status_code == 404
    # Bad input to approve.
    client.force_login(world.secretary)
    assert act(client, requested, "approve", valid_months=9).status_code == 400
    assert act(client, requested, "approve", valid_months="nonsense").status_code == 400
    assert act(client, requested, "frobnicate").status_code == 404
    assert client.get(reverse("members:transfer_act", args=[requested.pk, "approve"])).status_code == 405
    assert reload(requested).status == Transfer.Status.REQUESTED
    # Approve, then approve again.
    assert act(client, requested, "approve", valid_months=1).status_code == 302
    response = act(client, requested, "approve", valid_months=1)
    assert response.status_code == 400
    assert "cannot be approved" in response.content.decode()
    assert reload(requested).events.count() == 2


def test_acting_on_an_expired_letter_is_refused(client, world, approved):
    Transfer.objects.filter(pk=approved.pk).update(letter_valid_until=timezone.localdate() - datetime.timedelta(1))
    client.force_login(world.secretary_b)
    response = act(client, approved, "accept")
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_a1.pk


def test_reject_and_cancel_by_page(client, world, approved):
    client.force_login(world.secretary_b)
    assert act(client, approved, "reject", reason="").status_code == 400
    assert act(client, approved, "reject", reason="不符合条件").status_code == 302
    assert reload(approved).status == Transfer.Status.REJECTED
    client.force_login(world.member_user)
    assert act(client, approved, "cancel").status_code == 400


def test_letter_page_and_public_verification(client, world, approved):
    t = reload(approved)
    client.force_login(world.member_user)
    letter = client.get(reverse("members:transfer_letter", args=[t.pk])).content.decode()
    assert t.letter_number in letter
    assert t.verification_code in letter
    client.logout()
    url = reverse("members:letter_verify")
    assert client.get(url).status_code == 200
    ok = client.post(url, {"number": t.letter_number, "code": t.verification_code}).content.decode()
    assert 'id="verify-result"' in ok
    assert "alert-success" in ok
    # Whose letter it is, the name masked; nothing else about the member or the request.
    assert "成***" in ok
    assert world.branch_a1.name in ok
    assert world.branch_b.name in ok
    for private in (world.member_a1.name, world.member_a1.id_number, t.reason):
        assert private not in ok
    bad = client.post(url, {"number": t.letter_number, "code": "WRONG"}).content.decode()
    assert "alert-danger" in bad
    assert world.member_a1.name not in bad
    assert client.post(url, {"number": "", "code": ""}).status_code == 400


def test_letter_page_only_once_issued(client, world, requested):
    client.force_login(world.member_user)
    assert client.get(reverse("members:transfer_letter", args=[requested.pk])).status_code == 404


def test_verification_is_throttled(client, world):
    url = reverse("members:letter_verify")
    codes = [client.post(url, {"number": "2026-000001", "code": f"{n:016X}"}).status_code for n in range(22)]
    assert codes[:20] == [200] * 20
    assert codes[-1] == 429


def test_inbox_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    from tests.factories import MemberFactory

    client.force_login(world.secretary)
    for n in range(6):
        m = MemberFactory(organization=world.branch_a1, name=f"转出{n}")
        actions.transfer_request(member=m, by=world.secretary, to_organization=world.branch_b, reason="x")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("members:transfer_inbox"))
    assert response.status_code == 200
    assert response.content.decode().count("转出") == 6
    client.force_login(world.member_user)
    assert client.get(reverse("members:transfer_inbox")).status_code == 403


def test_pages_need_a_login(client, world, requested):
    for url in (
        reverse("members:transfer_new"),
        reverse("members:transfer_inbox"),
        reverse("members:transfer_detail", args=[requested.pk]),
    ):
        assert client.get(url).status_code == 302


def test_secretary_enters_a_transfer_for_a_member_of_the_branch(client, world):
    member = world.member_a1_other  # has no login
    client.force_login(world.secretary)
    lifecycle = client.get(reverse("members:member_lifecycle", args=[member.pk])).content.decode()
    url = reverse("members:transfer_new") + f"?member={member.pk}"
    assert 'id="enter-transfer"' in lifecycle
    assert f'?member={member.pk}"' in lifecycle
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "out", "outside_organization": "上海市某区委组织部", "reason": "随家属迁居"})
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert transfer.member == member
    assert transfer.kind == "out"
    assert transfer.events.first().actor == world.secretary


def test_nobody_enters_a_transfer_for_a_member_outside_their_branch(client, world):
    Transfer.objects.all().delete()
    for user, member in (
        (world.secretary_b, world.member_a1_other),
        (world.secretary, world.member_b),
        (world.member_user, world.member_a1_other),
        (world.official, world.member_a1_other),
    ):
        client.force_login(user)
        url = reverse("members:transfer_new") + f"?member={member.pk}"
        assert client.get(url).status_code in (403, 404)
        client.post(url, {"kind": "out", "outside_organization": "某组织", "reason": "越权"})
    assert not Transfer.objects.exists()
    client.force_login(world.secretary)
    assert client.get(reverse("members:transfer_new") + "?member=abc").status_code == 404


def test_the_receiving_branch_registers_and_accepts_an_arrival_from_outside(client, world):
    Transfer.objects.all().delete()
    arriving = world.member_a1_other
    Member.objects.filter(pk=arriving.pk).update(status=Member.Status.TRANSFERRED_OUT)
    client.force_login(world.secretary)
    lifecycle = client.get(reverse("members:member_lifecycle", args=[arriving.pk])).content.decode()
    assert 'id="enter-transfer-in"' in lifecycle
    url = reverse("members:transfer_in_new", args=[arriving.pk])
    bad = client.post(url, {"outside_organization": "上海市某区委组织部", "reason": "回乡工作"})
    assert bad.status_code == 400
    assert not Transfer.objects.exists()
    response = client.post(
        url,
        {"outside_organization": "上海市某区委组织部", "outside_letter_number": "沪组转2026-17", "reason": "回乡工作"},
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert transfer.kind == "in"
    assert transfer.to_organization == world.branch_a1
    client.post(reverse("members:transfer_act", args=[transfer.pk, "accept"]))
    arriving.refresh_from_db()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.DONE
    assert arriving.status == Member.Status.ACTIVE


def test_another_branch_cannot_register_an_arrival_for_this_member(client, world):
    client.force_login(world.secretary_b)
    url = reverse("members:transfer_in_new", args=[world.member_a1_other.pk])
    assert client.get(url).status_code == 404
    client.post(url, {"outside_organization": "某组织", "outside_letter_number": "1", "reason": "越权"})
    assert not Transfer.objects.filter(kind="in").exists()
