"""Writes of the members app: transfers, the development pipeline and dues.

Every action is keyword-only, runs in one transaction, locks the rows whose state it changes, checks
the current state *after* taking the lock (so two people clicking at the same moment produce one
transition), records what happened and who did it, and notifies the next actor and the member after
commit. A refusal raises ``ValidationError`` with a message fit to show, and changes nothing.
"""

import calendar
import datetime
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from core.querysets import CHANGE
from notifications.actions import notify
from parks.models import Organization

from .models import (
    STAGE_DATE_FIELD,
    STAGE_ORDER,
    ApplicationTalk,
    DuesPayment,
    LetterSequence,
    Member,
    Stage,
    StageChange,
    Transfer,
    TransferEvent,
)

LETTER_DEFAULT_MONTHS = 1
LETTER_MAX_MONTHS = 3
ADULT_AGE = 18
TALK_WITHIN_MONTHS = 1
ACTIVIST_TRAINING_YEARS = 1
PROBATION_YEARS = 1
MAX_EXTENSION_MONTHS = 12


# --- small date helpers ---------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def today() -> datetime.date:
    return timezone.localdate()


# --- who may act ----------------------------------------------------------------------------


def may_act_for(user, organization) -> bool:
    """Whether ``user`` acts for ``organization``: its secretary (or of a unit above it), the
    administrator of its park, or a superuser."""
    if organization is None or user is None or not user.is_authenticated:
        return False
    return Member.objects.allows(user, Member(organization=organization), CHANGE)  # the members' "change"


def is_member_themself(user, member) -> bool:
    return user is not None and user.is_authenticated and member.user_id == user.pk


def secretaries_of(organization):
    """The users who act for ``organization``: secretaries of it and of the units above it."""
    if organization is None:
        return []
    org_ids, node = [], organization
    while node is not None and len(org_ids) < 10:
        org_ids.append(node.pk)
        node = node.parent
    return [
        ra.user
        for ra in RoleAssignment.objects.filter(
            role=Role.BRANCH_SECRETARY, organization_id__in=org_ids, user__is_active=True
        ).select_related("user")
    ]


# --- transfers ------------------------------------------------------------------------------


def _event(transfer, *, action, from_status, by, note=""):
    return TransferEvent.objects.create(
        transfer=transfer,
        action=action,
        from_status=from_status,
        to_status=transfer.status,
        actor=by,
        note=note,
    )


def _transfer_url(transfer):
    return reverse("members:transfer_detail", args=[transfer.pk])


def _notify_transfer(transfer, *, recipients, title):
    body = _("%(member)s: %(origin)s → %(destination)s") % {
        "member": transfer.member.name,
        "origin": transfer.from_display,
        "destination": transfer.to_display,
    }
    notify(recipients=recipients, title=title, body=body, url=_transfer_url(transfer))


def _lock_transfer(transfer) -> Transfer:
    """Re-read ``transfer`` under a row lock: the state checked afterwards is the committed one."""
    return (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("member", "member__user", "from_organization", "to_organization")
        .get(pk=transfer.pk)
    )


@transaction.atomic
def transfer_request(
    *,
    member: Member,
    by,
    reason: str,
    to_organization: Organization | None = None,
    outside_organization: str = "",
    kind: str | None = None,
    outside_letter_number: str = "",
) -> Transfer:
    """Open a transfer for ``member``.

    Rules: the member asks for themself, or a secretary (or park administrator) of the sending side
    enters it — of the receiving side for a transfer in from outside; a member has at most one open
    transfer (also a database constraint); the destination is another branch, or a named outside
    organisation.
    """
    reason = (reason or "").strip()
    outside_organization = (outside_organization or "").strip()
    if kind is None:
        kind = Transfer.Kind.INTERNAL if to_organization is not None else Transfer.Kind.OUT
    member = Member.objects.select_for_update(of=("self",)).select_related("organization", "user").get(pk=member.pk)
    errors = {}
    if not reason:
        errors["reason"] = _("Please give the reason for the transfer.")
    if member.status != Member.Status.ACTIVE and kind != Transfer.Kind.IN:
        raise ValidationError(_("Only an active member can transfer their organisation relation."))
    if kind == Transfer.Kind.INTERNAL:
        if to_organization is None:
            errors["to_organization"] = _("Choose the branch you are moving to.")
        elif not to_organization.is_branch:
            errors["to_organization"] = _("A transfer goes to a branch or a joint branch.")
        elif to_organization.pk == member.organization_id:
            errors["to_organization"] = _("The member already belongs to this organisation.")
        from_organization = member.organization
        allowed = is_member_themself(by, member) or may_act_for(by, from_organization)
    elif kind == Transfer.Kind.OUT:
        if not outside_organization:
            errors["outside_organization"] = _("Name the organisation outside the portal.")
        to_organization = None
        from_organization = member.organization
        allowed = is_member_themself(by, member) or may_act_for(by, from_organization)
    elif kind == Transfer.Kind.IN:
        # The member record was registered in the receiving branch, not yet active there.
        if not outside_organization:
            errors["outside_organization"] = _("Name the organisation the member comes from.")
        if not (outside_letter_number or "").strip():
            errors["outside_letter_number"] = _("Give the number of the letter from the outside organisation.")
        to_organization = member.organization
        from_organization = None
        allowed = may_act_for(by, to_organization)
    else:
        raise ValidationError({"kind": _("Unknown kind of transfer.")})
    if not allowed:
        raise ValidationError(_("You may not request a transfer for this member."))
    if errors:
        raise ValidationError(errors)
    if Transfer.objects.filter(member=member).open().exists():
        raise ValidationError(_("This member already has an open transfer; finish or cancel it first."))
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                member=member,
                kind=kind,
                from_organization=from_organization,
                to_organization=to_organization,
                outside_organization=outside_organization,
                outside_letter_number=outside_letter_number.strip(),
                reason=reason,
                requested_by=by,
            )
    except IntegrityError as exc:  # a concurrent request won the race for the one open transfer
        raise ValidationError(_("This member already has an open transfer; finish or cancel it first.")) from exc
    _event(transfer, action=TransferEvent.Action.REQUEST, from_status="", by=by, note=reason)
    next_side = to_organization if kind == Transfer.Kind.IN else from_organization
    _notify_transfer(
        transfer, recipients=secretaries_of(next_side), title=_("Transfer request waiting for your decision")
    )
    if member.user_id and member.user_id != getattr(by, "pk", None):
        _notify_transfer(transfer, recipients=[member.user], title=_("A transfer was requested for you"))
    return transfer


def _allocate_letter_number(year: int) -> int:
    """The next letter number of ``year``.

    The UPDATE takes the row's write lock before the value is read (PostgreSQL row lock, SQLite
    database write lock), so two approvals never get the same number.
    """
    for _attempt in range(3):
        if LetterSequence.objects.filter(year=year).update(last=F("last") + 1):
            return LetterSequence.objects.get(year=year).last
        try:
            with transaction.atomic():
                LetterSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # created by a concurrent approval: the next UPDATE finds it
    raise RuntimeError("could not allocate a letter number")  # pragma: no cover


def format_letter_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"


@transaction.atomic
def transfer_approve(
    *,
    transfer: Transfer,
    by,
    valid_months: int = LETTER_DEFAULT_MONTHS,
    dues_paid_until: datetime.date | None = None,
) -> Transfer:
    """The sending side approves and issues the introduction letter.

    Rules: only a requested transfer within the portal or out of it; only by the sending side; the
    letter is valid ``valid_months`` (1 by default, 3 at most) and gets a number unique in its year
    and a long random verification code; it states the month to which dues are paid.
    """
    transfer = _lock_transfer(transfer)
    if not may_act_for(by, transfer.from_organization):
        raise ValidationError(_("Only the sending organisation can approve this transfer."))
    if transfer.status != Transfer.Status.REQUESTED:
        raise ValidationError(
            _("This transfer cannot be approved: it is %(status)s.") % {"status": transfer.get_status_display()}
        )
    if transfer.kind == Transfer.Kind.IN:
        raise ValidationError(_("A transfer in from outside is approved by the outside organisation."))
    try:
        valid_months = int(valid_months)
    except (TypeError, ValueError):
        valid_months = 0
    if not 1 <= valid_months <= LETTER_MAX_MONTHS:
        raise ValidationError({"valid_months": _("A letter is valid for one to three months.")})
    issued = today()
    if dues_paid_until is None:
        raise ValidationError({"dues_paid_until": _("State the month to which dues are paid.")})
    dues_paid_until = first_of_month(dues_paid_until)
    if dues_paid_until > first_of_month(add_months(issued, 12)):
        raise ValidationError({"dues_paid_until": _("Dues cannot be paid that far ahead.")})
    sequence = _allocate_letter_number(issued.year)
    transfer.letter_year, transfer.letter_sequence = issued.year, sequence
    transfer.letter_number = format_letter_number(issued.year, sequence)
    transfer.verification_code = secrets.token_hex(8).upper()  # 64 bits: guessing is pointless
    transfer.letter_issued_on = issued
    transfer.letter_valid_until = add_months(issued, valid_months)
    transfer.dues_paid_until = dues_paid_until
    transfer.status = Transfer.Status.APPROVED
    transfer.save()
    _event(
        transfer,
        action=TransferEvent.Action.APPROVE,
        from_status=Transfer.Status.REQUESTED,
        by=by,
        note=f"{transfer.letter_number} → {transfer.letter_valid_until.isoformat()}",
    )
    if transfer.kind == Transfer.Kind.INTERNAL:
        _notify_transfer(
            transfer,
            recipients=secretaries_of(transfer.to_organization),
            title=_("A member is transferring to your organisation: please accept"),
        )
    else:
        _notify_transfer(
            transfer,
            recipients=secretaries_of(transfer.from_organization),
            title=_("Letter issued: confirm when the receiving organisation's receipt arrives"),
        )
    _notify_transfer(
        transfer,
        recipients=[transfer.member.user],
        title=_("Your transfer was approved and your introduction letter issued"),
    )
    return transfer


@transaction.atomic
def transfer_accept(*, transfer: Transfer, by) -> Transfer:
    """The receiving side accepts: the member's organisation changes in the same transaction.

    Rules: within the portal, only an approved transfer with a letter still valid, by the receiving
    side; out of the portal, the sending side confirms the receipt and the member is transferred
    out; in from outside, the receiving side accepts the requested transfer and the member becomes
    active. The member must still belong to the sending organisation.
    """
    transfer = _lock_transfer(transfer)
    acting_side = transfer.from_organization if transfer.kind == Transfer.Kind.OUT else transfer.to_organization
    if not may_act_for(by, acting_side):
        raise ValidationError(_("Only the receiving organisation can accept this transfer."))
    expected = Transfer.Status.REQUESTED if transfer.kind == Transfer.Kind.IN else Transfer.Status.APPROVED
    if transfer.status != expected:
        if transfer.status == Transfer.Status.REQUESTED:
            raise ValidationError(_("This transfer has not been approved by the sending organisation yet."))
        raise ValidationError(
            _("This transfer cannot be accepted: it is %(status)s.") % {"status": transfer.get_status_display()}
        )
    if transfer.letter_expired(today()):
        raise ValidationError(_("The introduction letter has expired; the member must ask for a new one."))
    member = Member.objects.select_for_update(of=("self",)).get(pk=transfer.member_id)
    if transfer.kind == Transfer.Kind.INTERNAL:
        if member.organization_id != transfer.from_organization_id:
            raise ValidationError(_("The member no longer belongs to the sending organisation."))
        member.organization = transfer.to_organization
        member.save(update_fields=["organization"])
    elif transfer.kind == Transfer.Kind.OUT:
        member.status = Member.Status.TRANSFERRED_OUT
        member.save(update_fields=["status"])
    else:
        member.status = Member.Status.ACTIVE
        member.save(update_fields=["status"])
    from_status = transfer.status
    transfer.status = Transfer.Status.DONE
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    _event(transfer, action=TransferEvent.Action.ACCEPT, from_status=from_status, by=by)
    _notify_transfer(
        transfer,
        recipients=[transfer.member.user, *secretaries_of(transfer.from_organization)],
        title=_("The transfer is complete"),
    )
    return transfer


def _deciding_side(transfer):
    if (
        transfer.kind == Transfer.Kind.IN
        or transfer.status == Transfer.Status.APPROVED
        and (transfer.kind == Transfer.Kind.INTERNAL)
    ):
        return transfer.to_organization
    return transfer.from_organization


@transaction.atomic
def transfer_reject(*, transfer: Transfer, by, reason: str) -> Transfer:
    """The side whose turn it is refuses, with a reason: the sending side a request, the receiving
    side an approved transfer within the portal (or a transfer in)."""
    transfer = _lock_transfer(transfer)
    if not may_act_for(by, _deciding_side(transfer)):
        raise ValidationError(_("You may not reject this transfer."))
    if not transfer.is_open:
        raise ValidationError(
            _("This transfer cannot be rejected: it is %(status)s.") % {"status": transfer.get_status_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for the rejection.")})
    from_status = transfer.status
    transfer.status = Transfer.Status.REJECTED
    transfer.rejection_reason = reason
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "rejection_reason", "closed_at"])
    _event(transfer, action=TransferEvent.Action.REJECT, from_status=from_status, by=by, note=reason)
    others = secretaries_of(transfer.from_organization) if from_status == Transfer.Status.APPROVED else []
    _notify_transfer(transfer, recipients=[transfer.member.user, *others], title=_("The transfer was rejected"))
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by, note: str = "") -> Transfer:
    """The member (or whoever acts for the sending side) withdraws an open transfer."""
    transfer = _lock_transfer(transfer)
    side = transfer.to_organization if transfer.kind == Transfer.Kind.IN else transfer.from_organization
    if not (is_member_themself(by, transfer.member) or may_act_for(by, side)):
        raise ValidationError(_("You may not cancel this transfer."))
    if not transfer.is_open:
        raise ValidationError(
            _("This transfer cannot be cancelled: it is %(status)s.") % {"status": transfer.get_status_display()}
        )
    from_status = transfer.status
    transfer.status = Transfer.Status.CANCELLED
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    _event(
        transfer,
        action=TransferEvent.Action.CANCEL,
        from_status=from_status,
        by=by,
        note=(note or "").strip(),
    )
    _notify_transfer(
        transfer,
        recipients=[
            transfer.member.user,
            *secretaries_of(transfer.from_organization),
            *secretaries_of(transfer.to_organization),
        ],
        title=_("The transfer was cancelled"),
    )
    return transfer


@transaction.atomic
def transfer_expire(*, transfer: Transfer, on: datetime.date | None = None) -> bool:
    """Expire an approved transfer whose letter ran out (the daily job). Idempotent: returns False
    and changes nothing when the transfer is no longer approved or its letter is still valid."""
    on = on or today()
    transfer = _lock_transfer(transfer)
    if transfer.status != Transfer.Status.APPROVED or not transfer.letter_expired(on):
        return False
    transfer.status = Transfer.Status.EXPIRED
    transfer.closed_at = timezone.now()
    transfer.save(update_fields=["status", "closed_at"])
    _event(transfer, action=TransferEvent.Action.EXPIRE, from_status=Transfer.Status.APPROVED, by=None)
    _notify_transfer(
        transfer,
        recipients=[
            transfer.member.user,
            *secretaries_of(transfer.from_organization),
            *secretaries_of(transfer.to_organization),
        ],
        title=_("The introduction letter expired"),
    )
    return True


def expire_overdue_letters(*, on: datetime.date | None = None) -> int:
    """Expire every approved transfer whose letter ran out before ``on``; returns how many."""
    on = on or today()
    due = Transfer.objects.filter(status=Transfer.Status.APPROVED, letter_valid_until__lt=on).values_list(
        "pk", flat=True
    )
    return sum(transfer_expire(transfer=Transfer(pk=pk), on=on) for pk in list(due))


# --- development pipeline -------------------------------------------------------------------


def probation_ends_on(member: Member) -> datetime.date | None:
    """One year after becoming probationary, or the date of the latest recorded extension."""
    if member.stage != Stage.PROBATIONARY or not member.probationary_on:
        return None
    normal = add_months(member.probationary_on, 12 * PROBATION_YEARS)
    extended = max(
        (
            c.effective_on
            for c in member.stage_changes.all()
            if c.kind == StageChange.Kind.EXTENSION and c.effective_on > member.probationary_on
        ),
        default=None,
    )
    return max(normal, extended) if extended else normal


def _check_pipeline_actor(member, by):
    if not may_act_for(by, member.organization):
        raise ValidationError(_("Only the member's branch can change their stage."))


def _lock_member(member):
    return Member.objects.select_for_update(of=("self",)).select_related("organization").get(pk=member.pk)


@transaction.atomic
def record_application_talk(
    *, member: Member, by, held_on: datetime.date, held_by: str = "", notes: str = ""
) -> ApplicationTalk:
    """Record the talk with an applicant (due within one month of the application)."""
    member = _lock_member(member)
    _check_pipeline_actor(member, by)
    if member.stage != Stage.APPLICANT:
        raise ValidationError(_("A talk is recorded for an applicant."))
    if held_on > today():
        raise ValidationError({"held_on": _("The talk cannot be in the future.")})
    if member.applied_on and held_on < member.applied_on:
        raise ValidationError({"held_on": _("The talk cannot be before the application.")})
    talk, _created = ApplicationTalk.objects.update_or_create(
        member=member, defaults={"held_on": held_on, "held_by": held_by, "notes": notes, "recorded_by": by}
    )
    return talk


@transaction.atomic
def stage_advance(*, member: Member, by, effective_on: datetime.date, reason: str = "") -> StageChange:
    """Move ``member`` to the next stage, never skipping one.

    Rules (DESIGN §3): applicant → activist needs the applicant to have been 18 when applying and
    the talk held; activist → candidate after at least one year as activist; probationary → full
    after the year of probation (and any extension). The date cannot be in the future or before the
    current stage's date.
    """
    member = _lock_member(member)
    _check_pipeline_actor(member, by)
    if member.status != Member.Status.ACTIVE:
        raise ValidationError(_("Only an active member's stage can change."))
    position = STAGE_ORDER.index(member.stage)
    if position == len(STAGE_ORDER) - 1:
        raise ValidationError(_("A full member has no further stage."))
    target = STAGE_ORDER[position + 1]
    current_since = member.stage_date()
    if effective_on > today():
        raise ValidationError({"effective_on": _("The date cannot be in the future.")})
    if current_since and effective_on < current_since:
        raise ValidationError({"effective_on": _("The date cannot be before the current stage began.")})
    if member.stage == Stage.APPLICANT:
        applied = member.applied_on or effective_on
        if member.age(applied) < ADULT_AGE:
            raise ValidationError(_("An applicant must be at least 18 years old when applying."))
        if not ApplicationTalk.objects.filter(member=member).exists():
            raise ValidationError(_("Record the talk with the applicant first."))
    elif member.stage == Stage.ACTIVIST:
        if not member.activist_on or effective_on < add_months(member.activist_on, 12 * ACTIVIST_TRAINING_YEARS):
            raise ValidationError(_("An activist is trained for at least one year before becoming a candidate."))
    elif member.stage == Stage.PROBATIONARY:
        ends = probation_ends_on(member)
        if ends is None or effective_on < ends:
            raise ValidationError(
                _("Probation lasts until %(date)s; confirmation cannot be earlier.")
                % {"date": ends.isoformat() if ends else "?"}
            )
    change = StageChange.objects.create(
        member=member,
        kind=StageChange.Kind.ADVANCE,
        from_stage=member.stage,
        to_stage=target,
        effective_on=effective_on,
        reason=(reason or "").strip(),
        changed_by=by,
    )
    member.stage = target
    setattr(member, STAGE_DATE_FIELD[target], effective_on)
    member.save(update_fields=["stage", STAGE_DATE_FIELD[target]])
    notify(
        recipients=[member.user],
        title=_("Your stage changed: %(stage)s") % {"stage": member.get_stage_display()},
        url=reverse("members:my_dues"),
    )
    return change


@transaction.atomic
def probation_extend(*, member: Member, by, until: datetime.date, reason: str) -> StageChange:
    """Extend a probationary member's probation to ``until``: at most one year beyond the normal end.

    The extension is a StageChange of kind ``extension`` whose ``effective_on`` is the new end date.
    """
    member = _lock_member(member)
    _check_pipeline_actor(member, by)
    if member.stage != Stage.PROBATIONARY:
        raise ValidationError(_("Only a probationary member's probation can be extended."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Please give the reason for the extension.")})
    normal = add_months(member.probationary_on, 12 * PROBATION_YEARS)
    current = probation_ends_on(member)
    if until <= current:
        raise ValidationError({"until": _("The new end must be later than %(date)s.") % {"date": current}})
    if until > add_months(normal, MAX_EXTENSION_MONTHS):
        raise ValidationError({"until": _("Probation can be extended by one year at most.")})
    change = StageChange.objects.create(
        member=member,
        kind=StageChange.Kind.EXTENSION,
        from_stage=Stage.PROBATIONARY,
        to_stage=Stage.PROBATIONARY,
        effective_on=until,
        reason=reason,
        changed_by=by,
    )
    notify(recipients=[member.user], title=_("Your probation was extended to %(date)s") % {"date": until})
    return change


@transaction.atomic
def stage_correct(*, member: Member, by, to_stage: str, effective_on: datetime.date, reason: str) -> StageChange:
    """Correct a recorded stage (back, or past a stage) with a recorded reason; the dates of later
    stages are cleared."""
    member = _lock_member(member)
    _check_pipeline_actor(member, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A correction needs a reason.")})
    if to_stage not in STAGE_ORDER:
        raise ValidationError({"to_stage": _("Unknown stage.")})
    if effective_on > today():
        raise ValidationError({"effective_on": _("The date cannot be in the future.")})
    position = STAGE_ORDER.index(to_stage)
    for stage in STAGE_ORDER[position + 1 :]:
        setattr(member, STAGE_DATE_FIELD[stage], None)
    setattr(member, STAGE_DATE_FIELD[to_stage], effective_on)
    change = StageChange.objects.create(
        member=member,
        kind=StageChange.Kind.CORRECTION,
        from_stage=member.stage,
        to_stage=to_stage,
        effective_on=effective_on,
        reason=reason,
        changed_by=by,
    )
    member.stage = to_stage
    member.full_clean(exclude=["id_number", "user", "organization", "employer"])
    member.save()
    return change


# --- dues -----------------------------------------------------------------------------------

CENT = Decimal("0.01")
REDUCED_DUES = Decimal("0.20")
# (upper bound of monthly pay after tax, rate); None = no upper bound.
DUES_BRACKETS = {
    DuesPayment.Category.EMPLOYED: [
        (Decimal(3000), Decimal("0.005")),
        (Decimal(5000), Decimal("0.01")),
        (Decimal(10000), Decimal("0.015")),
        (None, Decimal("0.02")),
    ],
    DuesPayment.Category.RETIRED: [(Decimal(5000), Decimal("0.005")), (None, Decimal("0.01"))],
}


def dues_amount(*, category: str, monthly_pay: Decimal | None) -> Decimal:
    """The monthly dues from the official brackets (DESIGN §3): the whole pay at its bracket's rate;
    students, the unemployed and low-income members pay 0.20 yuan."""
    if category == DuesPayment.Category.REDUCED:
        return REDUCED_DUES
    if category not in DUES_BRACKETS:
        raise ValidationError({"category": _("Unknown dues category.")})
    if monthly_pay is None or monthly_pay < 0:
        raise ValidationError({"monthly_pay": _("Give the monthly pay after tax.")})
    for upper, rate in DUES_BRACKETS[category]:
        if upper is None or monthly_pay <= upper:
            return (monthly_pay * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    raise AssertionError("unreachable")  # pragma: no cover


@transaction.atomic
def dues_record_payment(
    *,
    member: Member,
    by,
    month: datetime.date,
    category: str,
    monthly_pay: Decimal | None,
    amount_paid: Decimal,
    paid_on: datetime.date,
) -> DuesPayment:
    """The secretary records a month's dues. The amount due is computed, never typed; one row per
    member and month (recording the month again corrects it)."""
    member = _lock_member(member)
    if not may_act_for(by, member.organization):
        raise ValidationError(_("Only the member's branch records their dues."))
    if member.stage not in (Stage.PROBATIONARY, Stage.FULL):
        raise ValidationError(_("Dues are paid by probationary and full members."))
    month = first_of_month(month)
    if month > first_of_month(add_months(today(), 12)):
        raise ValidationError({"month": _("Dues cannot be recorded that far ahead.")})
    if paid_on > today():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if amount_paid is None or amount_paid < 0:
        raise ValidationError({"amount_paid": _("Give the amount paid.")})
    due = dues_amount(category=category, monthly_pay=monthly_pay)
    payment, _created = DuesPayment.objects.update_or_create(
        member=member,
        month=month,
        defaults={
            "category": category,
            "monthly_pay": monthly_pay,
            "amount_due": due,
            "amount_paid": amount_paid,
            "paid_on": paid_on,
            "recorded_by": by,
        },
    )
    notify(
        recipients=[member.user],
        title=_("Dues recorded for %(month)s") % {"month": f"{month:%Y-%m}"},
        url=reverse("members:my_dues"),
    )
    return payment
