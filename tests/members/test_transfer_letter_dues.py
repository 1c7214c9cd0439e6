"""The introduction letter states the month dues are paid up to from the dues ledger (issue #13,
item 6): never typed, and approving a member who owes dues needs a reason, which goes on the
timeline and not on the letter."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from members import actions
from members.models import DuesPayment, LetterSequence, Member, Stage, Transfer, TransferEvent
from members.selectors import branch_dues, dues_standing
from tests.api.conftest import token_client

from .conftest import reload

pytestmark = pytest.mark.django_db


def this_month():
    return timezone.localdate().replace(day=1)


def month(offset: int) -> datetime.date:
    return actions.add_months(this_month(), offset)


def pay(member, offset, *, due="10.00", paid="10.00"):
    return DuesPayment.objects.create(
        member=member,
        month=month(offset),
        amount_due=Decimal(due),
        amount_paid=Decimal(paid),
        paid_on=timezone.localdate(),
    )


def registered_months_ago(member, n):
    """The member was registered in the portal ``n`` months ago (the ledger opens then)."""
    when = timezone.now() - datetime.timedelta(days=31 * n)
    Member.objects.filter(pk=member.pk).update(created_at=when)
    member.refresh_from_db()
    return member


@pytest.fixture
def owing(world, requested):
    """member_a1, registered six months ago, settled up to four months ago: owes the three months
    before this one."""
    member = registered_months_ago(world.member_a1, 6)
    for offset in (-6, -5, -4):
        pay(member, offset)
    pay(member, -2, paid="3.00")  # paid in part: not settled
    return requested


def approve_event(transfer):
    return TransferEvent.objects.get(transfer=transfer, action=TransferEvent.Action.APPROVE)


# --- the action -----------------------------------------------------------------------------


def test_letter_states_the_ledger_month_including_months_paid_ahead(world, requested):
    member = registered_months_ago(world.member_a1, 3)
    for offset in (-3, -2, -1, 0, 1, 2):
        pay(member, offset)
    pay(member, 3, paid="0.00")  # a row for a later month that is not paid does not count
    approved = actions.transfer_approve(transfer=requested, by=world.secretary)
    assert approved.dues_paid_until == month(2)
    assert reload(approved).dues_paid_until == month(2)


def test_the_month_cannot_be_typed(world, requested):
    with pytest.raises(TypeError):
        actions.transfer_approve(transfer=requested, by=world.secretary, dues_paid_until=month(5))
    assert reload(requested).status == Transfer.Status.REQUESTED


def test_nothing_settled_leaves_the_month_empty(world, requested):
    pay(world.member_a1, -1, paid="0")
    approved = actions.transfer_approve(transfer=requested, by=world.secretary)
    assert approved.dues_paid_until is None


def test_arrears_require_a_reason_and_change_nothing_without_one(world, owing):
    sequences = list(LetterSequence.objects.values_list("year", "last"))
    with pytest.raises(ValidationError) as refused:
        actions.transfer_approve(transfer=owing, by=world.secretary, arrears_reason="   ")
    errors = refused.value.message_dict
    assert list(errors) == ["arrears_reason"]
    assert f"{month(-3):%Y-%m}, {month(-2):%Y-%m}, {month(-1):%Y-%m}" in errors["arrears_reason"][0]
    assert "3 months" in errors["arrears_reason"][0]
    transfer = reload(owing)
    assert transfer.status == Transfer.Status.REQUESTED
    assert transfer.letter_number == ""
    assert list(LetterSequence.objects.values_list("year", "last")) == sequences  # no number used up


def test_reason_goes_on_the_timeline_and_the_month_on_the_letter(client, world, owing):
    approved = actions.transfer_approve(
        transfer=owing, by=world.secretary, valid_months=2, arrears_reason="本人已承诺调入后补交"
    )
    assert approved.status == Transfer.Status.APPROVED
    assert approved.dues_paid_until == month(-4)
    event = approve_event(approved)
    assert event.note == f"{approved.letter_number} → {approved.letter_valid_until.isoformat()}"
    owed = f"{month(-3):%Y-%m}, {month(-2):%Y-%m}, {month(-1):%Y-%m}"
    assert event.detail_display == f"Approved with dues owed for 3 months ({owed}): 本人已承诺调入后补交"

    client.force_login(world.member_user)
    letter = client.get(reverse("members:transfer_letter", args=[approved.pk])).content.decode()
    assert f"This comrade's party dues are paid up to {date_format(month(-4), 'YEAR_MONTH_FORMAT')}." in letter
    assert "本人已承诺调入后补交" not in letter
    # The transfer's page shows the timeline with the reason to those who may see the transfer.
    detail = client.get(reverse("members:transfer_detail", args=[approved.pk])).content.decode()
    assert "本人已承诺调入后补交" in detail


def test_the_current_month_is_not_late(world, requested):
    member = registered_months_ago(world.member_a1, 4)
    for offset in (-4, -3, -2, -1):
        pay(member, offset)
    approved = actions.transfer_approve(transfer=requested, by=world.secretary)  # no reason needed
    assert approved.dues_paid_until == month(-1)
    assert approve_event(approved).note == f"{approved.letter_number} → {approved.letter_valid_until.isoformat()}"


def test_nothing_settled_since_registration_is_arrears(world, requested):
    registered_months_ago(world.member_a1, 2)
    with pytest.raises(ValidationError) as refused:
        actions.transfer_approve(transfer=requested, by=world.secretary)
    assert "arrears_reason" in refused.value.message_dict
    approved = actions.transfer_approve(transfer=requested, by=world.secretary, arrears_reason="账目待核")
    assert approved.dues_paid_until is None


def test_an_applicant_pays_no_dues_and_owes_none(world):
    applicant = registered_months_ago(
        Member.objects.get(pk=world.member_a1_other.pk), 8
    )  # registered long ago, nothing paid
    Member.objects.filter(pk=applicant.pk).update(
        stage=Stage.APPLICANT, activist_on=None, candidate_on=None, probationary_on=None, full_on=None
    )
    transfer = actions.transfer_request(
        member=applicant, by=world.secretary, to_organization=world.branch_b, reason="换工作"
    )
    approved = actions.transfer_approve(transfer=transfer, by=world.secretary)
    assert approved.status == Transfer.Status.APPROVED
    assert approved.dues_paid_until is None


def test_the_approval_and_the_dues_page_count_the_same_months(world, owing):
    standing = dues_standing(world.member_a1)
    row = next(r for r in branch_dues([world.branch_a1.pk]) if r.member.pk == world.member_a1.pk)
    assert standing.paid_through == row.paid_through == month(-4)
    assert len(standing.months_owed) == row.months_in_arrears == 3


# --- the page ---------------------------------------------------------------------------------


def act(client, transfer, step, **data):
    return client.post(reverse("members:transfer_act", args=[transfer.pk, step]), data)


def test_page_warns_of_arrears_and_requires_the_reason(client, world, owing):
    client.force_login(world.secretary)
    page = client.get(reverse("members:transfer_detail", args=[owing.pk])).content.decode()
    assert 'id="arrears-warning"' in page
    assert "Dues owed for 3 months" in page
    assert f"{month(-3):%Y-%m}, {month(-2):%Y-%m}, {month(-1):%Y-%m}" in page
    assert f"Party dues are paid up to {month(-4):%Y-%m}." in page
    assert 'name="dues_paid_until"' not in page  # nothing to type
    assert 'name="arrears_reason"' in page

    response = act(client, owing, "approve", valid_months=1, dues_paid_until=f"{this_month():%Y-%m}")
    assert response.status_code == 400
    assert reload(owing).status == Transfer.Status.REQUESTED
    assert "This field is required." in response.content.decode()

    response = act(client, owing, "approve", valid_months=1, arrears_reason="已约定补交", dues_paid_until="2099-01")
    assert response.status_code == 302
    approved = reload(owing)
    assert approved.dues_paid_until == month(-4)  # a typed month is ignored: the ledger's stands
    assert "已约定补交" in approve_event(approved).detail_display


@pytest.mark.parametrize("owed_months", [1, 2])
def test_the_months_owed_are_read_in_the_readers_language(client, world, requested, owed_months):
    """The approver works in Chinese; a reader in English sees the approval's note in English, in
    the form its count needs (1 month, 2 months), and a reader in Chinese in Chinese."""
    registered = datetime.datetime.combine(
        month(-owed_months), datetime.time(12), tzinfo=timezone.get_current_timezone()
    )
    Member.objects.filter(pk=world.member_a1.pk).update(created_at=registered)  # the ledger opens that month
    with translation.override("zh-hans"):
        approved = actions.transfer_approve(transfer=requested, by=world.secretary, arrears_reason="已约定补交")
    owed = ", ".join(f"{month(offset):%Y-%m}" for offset in range(-owed_months, 0))
    english = f"Approved with dues owed for {owed_months} month{'s' if owed_months > 1 else ''} ({owed}): 已约定补交"
    chinese = f"欠缴党费{owed_months}个月（{owed}）仍予审批，理由：已约定补交"
    client.force_login(world.secretary_b)  # the receiving side reads the timeline
    url = reverse("members:transfer_detail", args=[approved.pk])
    page = client.get(url, headers={"accept-language": "en"}).content.decode()
    assert english in page
    assert "欠缴党费" not in page
    client.cookies["django_language"] = "zh-hans"
    assert chinese in client.get(url, headers={"accept-language": "zh-hans"}).content.decode()
    rows = token_client(world.secretary_b).get(
        "/api/v1/transfer-events/", {"transfer": approved.pk}, headers={"accept-language": "en"}
    )
    assert [row["detail"] for row in rows.json()["results"] if row["action"] == "approve"] == [english]


def test_page_without_arrears_asks_no_reason(client, world, requested):
    client.force_login(world.secretary)
    page = client.get(reverse("members:transfer_detail", args=[requested.pk])).content.decode()
    assert 'id="arrears-warning"' not in page
    assert 'name="arrears_reason"' not in page
    assert "No settled party dues are recorded in the portal's dues ledger." in page
    assert act(client, requested, "approve", valid_months=1).status_code == 302
    client.force_login(world.member_user)
    letter = client.get(reverse("members:transfer_letter", args=[requested.pk])).content.decode()
    assert "No settled party dues are recorded in the portal's dues ledger." in letter


# --- the API ----------------------------------------------------------------------------------


def approve_url(transfer):
    return f"/api/v1/transfers/{transfer.pk}/approve/"


def test_api_refuses_arrears_without_a_reason(world, owing):
    client = token_client(world.secretary)
    response = client.post(approve_url(owing), {"valid_months": 1}, format="json")
    assert response.status_code == 400
    assert "arrears_reason" in response.json()
    assert reload(owing).status == Transfer.Status.REQUESTED
    response = client.post(approve_url(owing), {"arrears_reason": "已约定补交"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["dues_paid_until"] == month(-4).isoformat()


def test_api_refuses_a_typed_month(world, requested):
    client = token_client(world.secretary)
    response = client.post(approve_url(requested), {"dues_paid_until": "2099-01-01"}, format="json")
    assert response.status_code == 400
    assert "dues_paid_until" in response.json()
    assert reload(requested).status == Transfer.Status.REQUESTED


def test_the_migration_moves_the_sentences_stored_before_into_the_detail(world, approved, requested):
    """Approvals written before ``detail`` kept the sentence after the letter's line, in the
    approver's language (English or Chinese): the migration moves it into ``detail``, read in each
    reader's language; a person's text that merely looks alike stays in the note."""
    import importlib

    from django.apps import apps

    line = f"{approved.letter_number} → {approved.letter_valid_until.isoformat()}"
    event = approve_event(approved)
    other = TransferEvent.objects.create(
        transfer=approved, action="approve", to_status="approved", note=f"{line}\nApproved, more or less: fine"
    )
    written = {
        event.pk: f"{line}\n欠缴党费2个月（2026-09, 2026-10）仍予审批，理由：已约定\n补交",
        other.pk: other.note,
    }
    english = TransferEvent.objects.create(
        transfer=approved,
        action="approve",
        to_status="approved",
        note=f"{line}\nApproved with dues owed for 1 month (2026-10): ok",
    )
    for pk, note in written.items():
        TransferEvent.objects.filter(pk=pk).update(note=note, detail={})
    migration = importlib.import_module("members.migrations.0013_transfer_event_detail")
    migration.sentences_to_detail(apps, None)
    moved, kept, moved_en = (TransferEvent.objects.get(pk=e.pk) for e in (event, other, english))
    assert (moved.note, moved_en.note, kept.note) == (line, line, written[other.pk])
    assert kept.detail == {}
    with translation.override("en"):
        assert moved.detail_display == "Approved with dues owed for 2 months (2026-09, 2026-10): 已约定\n补交"
        assert moved_en.detail_display == "Approved with dues owed for 1 month (2026-10): ok"
    with translation.override("zh-hans"):
        assert moved_en.detail_display == "欠缴党费1个月（2026-10）仍予审批，理由：ok"
    migration.detail_to_sentences(apps, None)  # and back
    assert TransferEvent.objects.get(pk=english.pk).note == english.note
