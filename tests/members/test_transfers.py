import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from members import actions, selectors
from members.models import Member, Transfer, TransferEvent
from notifications.models import Notification

from .conftest import reload

pytestmark = pytest.mark.django_db


def test_full_internal_flow_moves_the_member_and_records_every_step(world, oncommit):
    t = oncommit(
        actions.transfer_request,
        member=world.member_a1,
        by=world.member_user,
        to_organization=world.branch_b,
        reason="换工作",
    )
    assert Notification.objects.filter(recipient=world.secretary).count() == 1  # next actor: sending side
    t = oncommit(
        actions.transfer_approve,
        transfer=t,
        by=world.secretary,
        valid_months=2,
    )
    assert t.status == Transfer.Status.APPROVED
    assert t.dues_paid_until is None  # nothing settled in the ledger (tests/members/test_transfer_letter_dues.py)
    assert t.letter_valid_until == actions.add_months(t.letter_issued_on, 2)
    assert Notification.objects.filter(recipient=world.secretary_b).count() == 1  # next actor: receiving side
    t = oncommit(actions.transfer_accept, transfer=t, by=world.secretary_b)
    assert t.status == Transfer.Status.DONE
    member = Member.objects.get(pk=world.member_a1.pk)
    assert member.organization_id == world.branch_b.pk
    steps = list(t.events.order_by("at", "pk").values_list("action", "actor__username", "from_status", "to_status"))
    assert steps == [
        ("request", "member", "", "requested"),
        ("approve", "secretary", "requested", "approved"),
        ("accept", "secretary_b", "approved", "done"),
    ]
    # The member was told at every step taken by someone else.
    assert Notification.objects.filter(recipient=world.member_user).count() == 2


def test_accept_before_approve_is_refused_and_changes_nothing(world, requested):
    with pytest.raises(ValidationError, match="not been approved"):
        actions.transfer_accept(transfer=requested, by=world.secretary_b)
    assert reload(requested).status == Transfer.Status.REQUESTED
    assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_a1.pk
    assert requested.events.count() == 1


def test_approve_twice_is_refused(world, approved):
    number = approved.letter_number
    with pytest.raises(ValidationError, match="cannot be approved"):
        actions.transfer_approve(transfer=approved, by=world.secretary)
    assert reload(approved).letter_number == number
    assert approved.events.filter(action=TransferEvent.Action.APPROVE).count() == 1


@pytest.mark.parametrize("who", ["secretary_b", "official", "service", "outsider", "member_user"])
def test_only_the_sending_side_approves(world, requested, who):
    with pytest.raises(ValidationError, match="sending organisation"):
        actions.transfer_approve(transfer=requested, by=getattr(world, who))
    assert reload(requested).status == Transfer.Status.REQUESTED


@pytest.mark.parametrize("who", ["secretary", "official_b", "member_user", "park_admin"])
def test_only_the_receiving_side_accepts(world, approved, who):
    with pytest.raises(ValidationError, match="receiving organisation"):
        actions.transfer_accept(transfer=approved, by=getattr(world, who))
    assert reload(approved).status == Transfer.Status.APPROVED


def test_park_admin_of_the_sending_park_may_approve(world, requested):
    assert actions.transfer_approve(transfer=requested, by=world.park_admin).status == "approved"


def test_expired_letter_cannot_be_accepted_and_the_daily_job_expires_it(world, approved, oncommit):
    Transfer.objects.filter(pk=approved.pk).update(letter_valid_until=timezone.localdate() - datetime.timedelta(1))
    with pytest.raises(ValidationError, match="expired"):
        actions.transfer_accept(transfer=approved, by=world.secretary_b)
    assert reload(approved).status == Transfer.Status.APPROVED
    from members.tasks import expire_transfer_letters

    people = (world.member_user, world.secretary, world.secretary_b)  # the member and both sides
    before = {u.pk: Notification.objects.filter(recipient=u).count() for u in people}
    assert oncommit(expire_transfer_letters) == 1
    for user in people:
        assert Notification.objects.filter(recipient=user).count() == before[user.pk] + 1, user
    assert reload(approved).status == Transfer.Status.EXPIRED
    assert expire_transfer_letters() == 0  # idempotent
    event = approved.events.get(action=TransferEvent.Action.EXPIRE)
    assert event.actor is None
    assert Member.objects.get(pk=world.member_a1.pk).organization_id == world.branch_a1.pk


def test_a_letter_still_valid_today_is_not_expired(world, approved):
    Transfer.objects.filter(pk=approved.pk).update(letter_valid_until=timezone.localdate())
    assert actions.expire_overdue_letters() == 0
    assert reload(approved).status == Transfer.Status.APPROVED


def test_one_open_transfer_per_member(world, requested):
    with pytest.raises(ValidationError, match="already has an open transfer"):
        actions.transfer_request(
            member=world.member_a1, by=world.secretary, to_organization=world.branch_a2, reason="x"
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        Transfer.objects.create(
            member=world.member_a1,
            from_organization=world.branch_a1,
            to_organization=world.branch_a2,
            reason="x",
        )
    actions.transfer_cancel(transfer=requested, by=world.member_user)
    again = actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_a2, reason="再试"
    )
    assert again.status == Transfer.Status.REQUESTED


def test_letter_numbers_run_per_year(world, approved):
    year = timezone.localdate().year
    assert approved.letter_number == f"{year}-000001"
    second = actions.transfer_request(
        member=world.member_a1_other, by=world.secretary, to_organization=world.branch_b, reason="x"
    )
    second = actions.transfer_approve(transfer=second, by=world.secretary)
    assert second.letter_number == f"{year}-000002"
    assert len(second.verification_code) == 16
    assert second.verification_code != approved.verification_code


@pytest.mark.parametrize("months", [0, 4, "x", None])
def test_letter_validity_is_one_to_three_months(world, requested, months):
    with pytest.raises(ValidationError):
        actions.transfer_approve(transfer=requested, by=world.secretary, valid_months=months)
    assert reload(requested).status == Transfer.Status.REQUESTED


def test_request_validation(world):
    with pytest.raises(ValidationError) as exc:
        actions.transfer_request(
            member=world.member_a1, by=world.member_user, to_organization=world.branch_a1, reason=""
        )
    assert set(exc.value.message_dict) == {"reason", "to_organization"}
    with pytest.raises(ValidationError, match="may not request"):
        actions.transfer_request(
            member=world.member_a1, by=world.secretary_b, to_organization=world.branch_b, reason="x"
        )
    with pytest.raises(ValidationError, match="branch"):
        actions.transfer_request(
            member=world.member_a1, by=world.member_user, to_organization=world.committee, reason="x"
        )
    assert not Transfer.objects.exists()


def test_reject_needs_a_reason_and_the_deciding_side(world, requested, approved):
    with pytest.raises(ValidationError):
        actions.transfer_reject(transfer=approved, by=world.secretary_b, reason="  ")
    with pytest.raises(ValidationError, match="may not reject"):
        actions.transfer_reject(transfer=approved, by=world.secretary, reason="no")  # now the receiver's turn
    t = actions.transfer_reject(transfer=approved, by=world.secretary_b, reason="不在本园区工作")
    assert t.status == Transfer.Status.REJECTED
    assert t.rejection_reason == "不在本园区工作"
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        actions.transfer_cancel(transfer=t, by=world.member_user)


def test_transfer_out_ends_with_the_member_transferred_out(world):
    t = actions.transfer_request(
        member=world.member_a1,
        by=world.member_user,
        outside_organization="杭州市某街道党工委",
        reason="回原籍",
    )
    assert t.kind == Transfer.Kind.OUT
    assert t.to_organization is None
    t = actions.transfer_approve(transfer=t, by=world.secretary)
    t = actions.transfer_accept(transfer=t, by=world.secretary)  # the receipt came back
    member = Member.objects.get(pk=world.member_a1.pk)
    assert member.status == Member.Status.TRANSFERRED_OUT
    assert t.status == Transfer.Status.DONE


def test_transfer_in_from_outside(world):
    newcomer = world.member_b
    Member.objects.filter(pk=newcomer.pk).update(status=Member.Status.FLOWING)
    newcomer.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.transfer_request(
            member=newcomer, by=world.secretary_b, kind=Transfer.Kind.IN, outside_organization="", reason="x"
        )
    t = actions.transfer_request(
        member=newcomer,
        by=world.secretary_b,
        kind=Transfer.Kind.IN,
        outside_organization="上海某党委",
        outside_letter_number="沪2026-12",
        reason="入职",
    )
    with pytest.raises(ValidationError):
        actions.transfer_approve(transfer=t, by=world.secretary_b)
    t = actions.transfer_accept(transfer=t, by=world.secretary_b)
    assert Member.objects.get(pk=newcomer.pk).status == Member.Status.ACTIVE


def test_inbox_overdue_first(world):
    old = actions.transfer_request(
        member=world.member_a1, by=world.member_user, to_organization=world.branch_b, reason="x"
    )
    new = actions.transfer_request(
        member=world.member_a1_other, by=world.secretary, to_organization=world.branch_b, reason="y"
    )
    Transfer.objects.filter(pk=old.pk).update(requested_at=old.requested_at - datetime.timedelta(days=10))
    inbox = selectors.transfer_inbox(world.secretary)
    assert [r.transfer.pk for r in inbox["outgoing"]] == [old.pk, new.pk]
    assert inbox["outgoing"][0].overdue
    assert not inbox["outgoing"][1].overdue
    assert inbox["incoming"] == []
    assert selectors.transfer_inbox(world.secretary_b)["outgoing"] == []


def test_scope_both_sides_see_a_transfer_others_do_not(world, requested):
    for user in (
        world.member_user,
        world.secretary,
        world.secretary_b,
        world.official,
        world.official_b,
        world.park_admin,
        world.superuser,
    ):
        assert Transfer.objects.visible_to(user).filter(pk=requested.pk).exists(), user
    for user in (world.outsider, world.service):
        assert not Transfer.objects.visible_to(user).exists(), user
    assert TransferEvent.objects.visible_to(world.secretary_b).count() == 1
    assert not TransferEvent.objects.visible_to(world.outsider).exists()


def test_letter_status(world, approved):
    t = reload(approved)
    assert selectors.letter_status(number=t.letter_number, code=t.verification_code) == "valid"
    assert selectors.letter_status(number=t.letter_number, code=t.verification_code.lower()) == "valid"
    assert selectors.letter_status(number=t.letter_number, code="0" * 16) == "unknown"
    assert selectors.letter_status(number="2020-000001", code=t.verification_code) == "unknown"
    assert selectors.letter_status(number="", code="") == "unknown"
    later = t.letter_valid_until + datetime.timedelta(days=1)
    assert selectors.letter_status(number=t.letter_number, code=t.verification_code, today=later) == "expired"
    actions.transfer_accept(transfer=t, by=world.secretary_b)
    assert selectors.letter_status(number=t.letter_number, code=t.verification_code) == "used"


def test_add_months_clamps():
    assert actions.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert actions.add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert actions.add_months(datetime.date(2026, 3, 15), -6) == datetime.date(2025, 9, 15)
