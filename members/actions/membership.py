"""The membership history: every write that registers a member or changes their organisation or
status records it as a ``MembershipEvent`` (joined, transferred in or out, flowing, deceased,
removed, restored), from which ``members.selectors.members_at`` reads the stock of any past day
and the lapse-risk rule the day a member joined their branch.

The doors that register or move members call these: the back office (``MemberAdmin.save_model``),
the API (``MemberViewSet.create_object``), the member import (``MemberResource.write``) and the
transfer steps (``transfer_accept``).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..models import STAGE_DATE_FIELD, Member, MembershipEvent, Transfer, validate_membership_day
from .common import lock_member, may_act_for, today

Kind = MembershipEvent.Kind

# The event a change of status records.
STATUS_EVENT = {
    Member.Status.ACTIVE: Kind.RESTORED,
    Member.Status.TRANSFERRED_OUT: Kind.TRANSFERRED_OUT,
    Member.Status.FLOWING: Kind.FLOWING,
    Member.Status.DECEASED: Kind.DECEASED,
    Member.Status.REMOVED: Kind.REMOVED,
}


def default_joined_on(member: Member) -> datetime.date:
    """The best date known for a member joining their organisation when none is given: the day
    they were registered in the portal, or the earliest stage date if earlier (a member recorded
    today who became probationary in 2016 was on a roll before the portal knew them)."""
    registered = timezone.localdate(member.created_at) if member.created_at else today()
    dates = [getattr(member, field) for field in STAGE_DATE_FIELD.values()]
    return min([registered, *(day for day in dates if day)])


def _checked_day(day: datetime.date, field: str = "on") -> datetime.date:
    try:
        validate_membership_day(day)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return day


def _event(member, kind, on, organization_id, by, note) -> MembershipEvent:
    return MembershipEvent(
        member=member,
        organization_id=organization_id,
        kind=kind,
        on=on,
        note=(note or "")[:200],
        recorded_by=by if getattr(by, "pk", None) else None,
    )


def record_membership_event(
    *, member: Member, kind: str, on: datetime.date, organization=None, by=None, note: str = ""
) -> MembershipEvent:
    """Write one event of the member's history (at their current organisation unless another is
    named). The date is bounded: not before 1921-07-01, not in the future."""
    if kind not in Kind.values:
        raise ValidationError({"kind": gettext("Unknown kind of membership event.")})
    organization_id = getattr(organization, "pk", organization) or member.organization_id
    event = _event(member, kind, _checked_day(on), organization_id, by, note)
    event.save()
    return event


def _registration_events(member: Member, *, by, joined_on, note) -> list[MembershipEvent]:
    on = _checked_day(joined_on, "joined_on") if joined_on else default_joined_on(member)
    events = [_event(member, Kind.JOINED, on, member.organization_id, by, note)]
    if member.status != Member.Status.ACTIVE:
        # A record registered as already departed: it left on a day the portal does not know.
        events.append(_event(member, STATUS_EVENT[member.status], max(on, today()), member.organization_id, by, note))
    return events


def member_registered(
    *, member: Member, by=None, joined_on: datetime.date | None = None, note: str = ""
) -> list[MembershipEvent]:
    """Record that a newly registered member joined their organisation on ``joined_on`` (default:
    ``default_joined_on``). Idempotent: a member with a history already gets nothing more."""
    if MembershipEvent.objects.filter(member=member).exists():
        return []
    events = _registration_events(member, by=by, joined_on=joined_on, note=note)
    return MembershipEvent.objects.bulk_create(events)


def members_registered(*, members, by=None, joined_on: dict | None = None, note: str = "") -> int:
    """``member_registered`` for many new members at once (the import): ``joined_on`` maps a member
    to its date. One query per batch; the members must have been saved and have no history yet."""
    joined_on = joined_on or {}
    events = []
    for member in members:
        events += _registration_events(member, by=by, joined_on=joined_on.get(member.pk), note=note)
    MembershipEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def membership_changed(
    *,
    member: Member,
    before_organization_id,
    before_status: str,
    by=None,
    on: datetime.date | None = None,
    note: str = "",
) -> list[MembershipEvent]:
    """Record what changed in a saved member's organisation and status since (before_organization_id,
    before_status): a move between organisations as transferred out of the one and into the other,
    a change of status as its event (see ``STATUS_EVENT``)."""
    on = on or today()
    events = []
    moved = before_organization_id and member.organization_id != before_organization_id
    if not moved and member.status == before_status:
        return []
    if before_status == Member.Status.ACTIVE and not MembershipEvent.objects.filter(member=member).exists():
        # A member with no history yet (a row written outside the actions) was on the roll as the
        # record said: the joining comes first, so that the days before this change keep them.
        events.append(_event(member, Kind.JOINED, min(default_joined_on(member), on), before_organization_id, by, ""))
    if moved:
        events.append(_event(member, Kind.TRANSFERRED_OUT, on, before_organization_id, by, note))
        events.append(_event(member, Kind.TRANSFERRED_IN, on, member.organization_id, by, note))
    if member.status != before_status:
        kind = STATUS_EVENT[member.status]
        if kind == Kind.RESTORED and before_status == Member.Status.TRANSFERRED_OUT:
            kind = Kind.TRANSFERRED_IN  # back on a roll of the portal from outside
        if not (moved and kind == Kind.TRANSFERRED_IN):
            events.append(_event(member, kind, on, member.organization_id, by, note))
    return MembershipEvent.objects.bulk_create(events) if events else []


# The statuses the member's branch records on the member's page (a transfer out is a transfer's
# step, not a status set by hand), and those that need their grounds written down.
STATUS_STEPS = (Member.Status.ACTIVE, Member.Status.FLOWING, Member.Status.DECEASED, Member.Status.REMOVED)
STATUS_NEEDS_NOTE = (Member.Status.ACTIVE, Member.Status.REMOVED)


@transaction.atomic
def member_status_change(*, member: Member, by, status: str, on: datetime.date, note: str = "") -> Member:
    """The member's branch (or park administrator) records a change of the member's status on the
    day it happened: gone flowing (流动), deceased, removed from the party, or back on the roll.
    The member's record and the membership history (``membership_changed``, dated ``on``) change
    together, so the stock of every day before ``on`` stays as it was.

    Refused with a field error: a status the branch does not set here or the member already has; a
    member transferred out coming back (that is a transfer in); an open transfer; a day in the
    future, before 1921-07-01 or before the member's last recorded change (the history is read in
    date order); no grounds for a removal or a return to the roll."""
    note = (note or "").strip()
    member = lock_member(member)
    if not may_act_for(by, member.organization):
        raise PermissionDenied(gettext("Only the member's branch or park administrator records their status."))
    if status not in STATUS_STEPS:
        raise ValidationError({"status": gettext("This status is not recorded here.")})
    if status == member.status:
        raise ValidationError(
            {
                "status": gettext("The member's status is already “%(status)s”.")
                % {"status": member.get_status_display()}
            }
        )
    if member.status == Member.Status.TRANSFERRED_OUT:
        raise ValidationError(
            {"status": gettext("A member transferred out comes back through a transfer in, not a change of status.")}
        )
    if Transfer.objects.filter(member=member).open().exists():
        raise ValidationError({"status": gettext("This member has an open transfer: finish or cancel it first.")})
    on = _checked_day(on)
    last = MembershipEvent.objects.filter(member=member).order_by("-on", "-pk").values_list("on", flat=True).first()
    if last and on < last:
        raise ValidationError(
            {"on": gettext("On or after %(day)s, the member's last recorded change.") % {"day": last.isoformat()}}
        )
    if status in STATUS_NEEDS_NOTE and not note:
        raise ValidationError({"note": gettext("Give the grounds (a decision, its date and number).")})
    before = member.status
    member.status = status
    member._history_user = by
    member.save(update_fields=["status"])
    membership_changed(
        member=member, before_organization_id=member.organization_id, before_status=before, by=by, on=on, note=note
    )
    return member
