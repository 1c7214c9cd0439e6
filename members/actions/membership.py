"""The membership history: every write that registers a member or changes their organisation or
status records it as a ``MembershipEvent`` (joined, transferred in or out, flowing, deceased,
removed, restored), from which ``members.selectors.members_at`` reads the stock of any past day
and the lapse-risk rule the day a member joined their branch.

The doors that register or move members call these: the back office (``MemberAdmin.save_model``),
the API (``MemberViewSet.create_object``), the member import (``MemberResource.write``) and the
transfer steps (``transfer_accept``).
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from ..models import STAGE_DATE_FIELD, Member, MembershipEvent, validate_membership_day
from .common import today

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
