"""Organisation-relation transfers: the steps of members.rules.TRANSFER_STEPS, each through
core.transitions (row lock, state check, TransferEvent on the timeline, notifications after commit)."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from core.texts import Text, stored
from core.transitions import begin, transition
from notifications.actions import notify
from parks.models import Organization

from ..models import DuesPayment, LetterSequence, Member, MembershipEvent, Transfer, TransferEvent
from ..rules import TRANSFER_STEPS, describe_months, member_months_owed
from .common import add_months, is_member_themself, may_act_for, secretaries_of, today
from .membership import membership_changed, record_membership_event

LETTER_DEFAULT_MONTHS = 1
LETTER_MAX_MONTHS = 3


def _transfers():
    """How a transfer is re-read under its lock: with what the checks and the notifications use."""
    return Transfer.objects.select_related("member", "member__user", "from_organization", "to_organization")


def _record(action, *, by, note="", detail=None):
    """The timeline entry of a step; ``note`` may be a callable of the transfer after the step;
    ``detail``, the portal's own note (a ``core.texts.Text``, shown in the reader's language, or a
    callable returning one or None)."""

    def record(transfer, from_status):
        return TransferEvent.objects.create(
            transfer=transfer,
            action=action,
            from_status=from_status,
            to_status=transfer.status,
            actor=by,
            note=note(transfer) if callable(note) else note,
            detail=stored(text) if (text := detail(transfer) if callable(detail) else detail) is not None else {},
        )

    return record


def _transfer_url(transfer):
    return reverse("members:transfer_detail", args=[transfer.pk])


def _notify_transfer(transfer, *, recipients, title):
    body = Text(
        _("%(member)s: %(origin)s → %(destination)s"),
        member=transfer.member.name,
        origin=transfer.from_display,
        destination=transfer.to_display,
    )
    notify(recipients=recipients, title=title, body=body, url=_transfer_url(transfer))


def _everyone(transfer):
    return [
        transfer.member.user,
        *secretaries_of(transfer.from_organization),
        *secretaries_of(transfer.to_organization),
    ]


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

    def create(status):
        try:
            with transaction.atomic():
                return Transfer.objects.create(
                    member=member,
                    kind=kind,
                    status=status,
                    from_organization=from_organization,
                    to_organization=to_organization,
                    outside_organization=outside_organization,
                    outside_letter_number=outside_letter_number.strip(),
                    reason=reason,
                    requested_by=by,
                )
        except IntegrityError as exc:  # a concurrent request won the race for the one open transfer
            raise ValidationError(_("This member already has an open transfer; finish or cancel it first.")) from exc

    def notify_next(transfer, _from_status):
        next_side = to_organization if kind == Transfer.Kind.IN else from_organization
        _notify_transfer(
            transfer, recipients=secretaries_of(next_side), title=_("Transfer request waiting for your decision")
        )
        if member.user_id and member.user_id != getattr(by, "pk", None):
            _notify_transfer(transfer, recipients=[member.user], title=_("A transfer was requested for you"))

    done = begin(
        TRANSFER_STEPS["request"],
        create=create,
        record=_record(TransferEvent.Action.REQUEST, by=by, note=reason),
        notify=notify_next,
    )
    return done.obj


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
    arrears_reason: str = "",
) -> Transfer:
    """The sending side approves and issues the introduction letter.

    Rules: only a requested transfer within the portal or out of it; only by the sending side; the
    letter is valid ``valid_months`` (1 by default, 3 at most) and gets a number unique in its year
    and a long random verification code. It states the month to which dues are paid, taken from the
    dues ledger under the member's row lock (members.rules: the latest settled month, months paid
    ahead included; None when the ledger has nothing settled) — never typed. A member who owes dues
    up to last month (members.rules.member_months_owed, as the branch's dues page counts them) is
    approved only with ``arrears_reason``, which goes on the transfer's timeline, not on the letter.
    """
    arrears_reason = (arrears_reason or "").strip()
    ledger = {}

    def sending_side(locked):
        if not may_act_for(by, locked.from_organization):
            raise ValidationError(_("Only the sending organisation can approve this transfer."))

    def check(locked):
        if locked.kind == Transfer.Kind.IN:
            raise ValidationError(_("A transfer in from outside is approved by the outside organisation."))
        try:
            months = int(valid_months)
        except (TypeError, ValueError):
            months = 0
        if not 1 <= months <= LETTER_MAX_MONTHS:
            raise ValidationError({"valid_months": _("A letter is valid for one to three months.")})
        # The member's row lock orders this read after any dues payment being recorded
        # (dues_record_payment locks the same row).
        member = Member.objects.select_for_update(of=("self",)).get(pk=locked.member_id)
        paid_through = DuesPayment.objects.filter(member=member).paid_through().get(member.pk)
        owed = member_months_owed(member, paid_through=paid_through, today=today())
        if owed and not arrears_reason:
            raise ValidationError(
                {
                    "arrears_reason": ngettext(
                        "The member owes dues for %(n)d month (%(months)s): give the reason for approving anyway.",
                        "The member owes dues for %(n)d months (%(months)s): give the reason for approving anyway.",
                        len(owed),
                    )
                    % {"n": len(owed), "months": describe_months(owed)}
                }
            )
        ledger.update(months=months, paid_through=paid_through, owed=owed)

    def letter(locked):
        """The letter's fields; the number is taken last, once every rule has passed."""
        issued = today()
        sequence = _allocate_letter_number(issued.year)
        return {
            "letter_year": issued.year,
            "letter_sequence": sequence,
            "letter_number": format_letter_number(issued.year, sequence),
            "verification_code": secrets.token_hex(8).upper(),  # 64 bits: guessing is pointless
            "letter_issued_on": issued,
            "letter_valid_until": add_months(issued, ledger["months"]),
            "dues_paid_until": ledger["paid_through"],
        }

    def note(locked):
        return f"{locked.letter_number} → {locked.letter_valid_until.isoformat()}"

    def detail(locked):
        owed = ledger["owed"]
        if not owed:
            return None
        return Text(
            ngettext_lazy(
                "Approved with dues owed for %(n)d month (%(months)s): %(reason)s",
                "Approved with dues owed for %(n)d months (%(months)s): %(reason)s",
                "n",
            ),
            n=len(owed),
            months=describe_months(owed),
            reason=arrears_reason,
        )

    def notify_next(locked, _from_status):
        if locked.kind == Transfer.Kind.INTERNAL:
            _notify_transfer(
                locked,
                recipients=secretaries_of(locked.to_organization),
                title=_("A member is transferring to your organisation: please accept"),
            )
        else:
            _notify_transfer(
                locked,
                recipients=secretaries_of(locked.from_organization),
                title=_("Letter issued: confirm when the receiving organisation's receipt arrives"),
            )
        _notify_transfer(
            locked,
            recipients=[locked.member.user],
            title=_("Your transfer was approved and your introduction letter issued"),
        )

    done = transition(
        transfer,
        TRANSFER_STEPS["approve"],
        queryset=_transfers(),
        guard=sending_side,
        check=check,
        changes=letter,
        record=_record(TransferEvent.Action.APPROVE, by=by, note=note, detail=detail),
        notify=notify_next,
    )
    return done.obj


@transaction.atomic
def transfer_accept(*, transfer: Transfer, by) -> Transfer:
    """The receiving side accepts: the member's organisation changes in the same transaction.

    Rules: within the portal, only an approved transfer with a letter still valid, by the receiving
    side; out of the portal, the sending side confirms the receipt and the member is transferred
    out; in from outside, the receiving side accepts the requested transfer and the member becomes
    active. The member must still belong to the sending organisation.
    """
    locked_member = {}

    def acting_side(locked):
        side = locked.from_organization if locked.kind == Transfer.Kind.OUT else locked.to_organization
        if not may_act_for(by, side):
            raise ValidationError(_("Only the receiving organisation can accept this transfer."))

    def check(locked):
        if locked.letter_expired(today()):
            raise ValidationError(_("The introduction letter has expired; the member must ask for a new one."))
        member = Member.objects.select_for_update(of=("self",)).get(pk=locked.member_id)
        if locked.kind == Transfer.Kind.INTERNAL and member.organization_id != locked.from_organization_id:
            raise ValidationError(_("The member no longer belongs to the sending organisation."))
        locked_member["member"] = member

    def complete(locked):
        """The member moves (or leaves, or arrives) with the transfer's completion."""
        member = locked_member["member"]
        before_organization_id, before_status = member.organization_id, member.status
        if locked.kind == Transfer.Kind.INTERNAL:
            member.organization = locked.to_organization
            member.save(update_fields=["organization"])
        else:
            out = locked.kind == Transfer.Kind.OUT
            member.status = Member.Status.TRANSFERRED_OUT if out else Member.Status.ACTIVE
            member.save(update_fields=["status"])
        _record_membership(locked, member, before_organization_id, before_status, by=by)
        return {"closed_at": timezone.now()}

    def notify_done(locked, _from_status):
        _notify_transfer(
            locked,
            recipients=[locked.member.user, *secretaries_of(locked.from_organization)],
            title=_("The transfer is complete"),
        )

    done = transition(
        transfer,
        lambda locked: TRANSFER_STEPS["accept_in" if locked.kind == Transfer.Kind.IN else "accept"],
        queryset=_transfers(),
        guard=acting_side,
        check=check,
        changes=complete,
        record=_record(TransferEvent.Action.ACCEPT, by=by),
        notify=notify_done,
    )
    return done.obj


def _record_membership(transfer, member, before_organization_id, before_status, *, by):
    """The membership history of a completed transfer: out of the sending organisation and into the
    receiving one (a transfer in from outside: into it, even for a member already active there)."""
    note = transfer.letter_number or transfer.outside_letter_number or transfer.outside_organization
    if transfer.kind == Transfer.Kind.IN and before_status == Member.Status.ACTIVE:
        record_membership_event(member=member, kind=MembershipEvent.Kind.TRANSFERRED_IN, on=today(), by=by, note=note)
        return
    membership_changed(
        member=member,
        before_organization_id=before_organization_id,
        before_status=before_status,
        by=by,
        note=note,
    )


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
    reason = (reason or "").strip()

    def deciding_side(locked):
        if not may_act_for(by, _deciding_side(locked)):
            raise ValidationError(_("You may not reject this transfer."))

    def check(locked):
        if not reason:
            raise ValidationError({"reason": _("Please give the reason for the rejection.")})

    def notify_rejected(locked, from_status):
        others = secretaries_of(locked.from_organization) if from_status == Transfer.Status.APPROVED else []
        _notify_transfer(locked, recipients=[locked.member.user, *others], title=_("The transfer was rejected"))

    done = transition(
        transfer,
        TRANSFER_STEPS["reject"],
        queryset=_transfers(),
        guard=deciding_side,
        check=check,
        changes=lambda locked: {"rejection_reason": reason, "closed_at": timezone.now()},
        record=_record(TransferEvent.Action.REJECT, by=by, note=reason),
        notify=notify_rejected,
    )
    return done.obj


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by, note: str = "") -> Transfer:
    """The member (or whoever acts for the sending side) withdraws an open transfer."""

    def member_or_side(locked):
        side = locked.to_organization if locked.kind == Transfer.Kind.IN else locked.from_organization
        if not (is_member_themself(by, locked.member) or may_act_for(by, side)):
            raise ValidationError(_("You may not cancel this transfer."))

    done = transition(
        transfer,
        TRANSFER_STEPS["cancel"],
        queryset=_transfers(),
        guard=member_or_side,
        changes=lambda locked: {"closed_at": timezone.now()},
        record=_record(TransferEvent.Action.CANCEL, by=by, note=(note or "").strip()),
        notify=lambda locked, _from: _notify_transfer(
            locked, recipients=_everyone(locked), title=_("The transfer was cancelled")
        ),
    )
    return done.obj


class _StillValid(Exception):
    """The letter has not run out: the daily job leaves the transfer as it is."""


@transaction.atomic
def transfer_expire(*, transfer: Transfer, on: datetime.date | None = None) -> bool:
    """Expire an approved transfer whose letter ran out (the daily job). Idempotent: returns False
    and changes nothing when the transfer is no longer approved or its letter is still valid."""
    on = on or today()

    def ran_out(locked):
        if not locked.letter_expired(on):
            raise _StillValid

    try:
        transition(
            transfer,
            TRANSFER_STEPS["expire"],
            queryset=_transfers(),
            check=ran_out,
            changes=lambda locked: {"closed_at": timezone.now()},
            record=_record(TransferEvent.Action.EXPIRE, by=None),
            notify=lambda locked, _from: _notify_transfer(
                locked, recipients=_everyone(locked), title=_("The introduction letter expired")
            ),
        )
    except (ValidationError, _StillValid):  # no longer approved, or its letter still valid: nothing to do
        return False
    return True


def expire_overdue_letters(*, on: datetime.date | None = None) -> int:
    """Expire every approved transfer whose letter ran out before ``on``; returns how many."""
    on = on or today()
    due = Transfer.objects.filter(status=Transfer.Status.APPROVED, letter_valid_until__lt=on).values_list(
        "pk", flat=True
    )
    return sum(transfer_expire(transfer=Transfer(pk=pk), on=on) for pk in list(due))
