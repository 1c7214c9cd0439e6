"""Writes of the activities app. Pages, the admin and tasks all come through here.

Rules enforced here (DESIGN §2, §3):

* only a user who may manage the host organisation logs, changes, records or cancels;
* attendance is recorded for those on the activity's checklist only (the host's party members; a
  支委会's committee), and only once an activity has started; a 党小组会 is hosted by its party group;
* a held activity whose period has closed may be changed only with a reason, kept in its history;
* a party congress records whether more than half of the full members were present (quorum);
* points follow attendance: each change reverses exactly what was awarded before and awards anew,
  and ``Member.points`` stays the sum of the member's ledger.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.db.models import Case, F, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.periods import local_day, period_of
from core.texts import Text
from core.validators import bound_errors
from members.models import Member, Stage
from notifications.actions import notify
from parks.models import Organization

from .models import (
    CHANGE_REASON_MAX_LENGTH,
    LEAVE_REASON_MAX_LENGTH,
    Activity,
    ActivityFile,
    Attendance,
    ComplianceRule,
    Kind,
    PeriodKind,
    PointEntry,
    PointRule,
)
from .rules import congress_quorum_met
from .selectors import activity_checklist, attendance_checklist, checklist_members, may_manage
from .summaries import refresh_on_commit, touched
from .validators import MAX_FILES_PER_UPLOAD, validate_attachment, validate_photo

MAX_VOLUNTEER_HOURS = Decimal("24")


@dataclass(frozen=True)
class AttendanceInput:
    member_id: int
    status: str = Attendance.Status.PRESENT
    reason: str = ""
    late: bool = False
    left_early: bool = False
    volunteer_hours: Decimal = Decimal("0")


# --- helpers --------------------------------------------------------------------------------------


def _require_manager(by, organization):
    if not may_manage(by, organization):
        raise ValidationError(
            _("You may not manage the activities of %(org)s."), params={"org": organization}, code="forbidden"
        )


def activity_period(kind: str, starts_at: datetime.datetime):
    """The compliance period an activity falls in: its kind's rule period, else the month."""
    rule_period = ComplianceRule.objects.filter(kind=kind).values_list("period", flat=True).first()
    return period_of(local_day(starts_at), rule_period or PeriodKind.MONTH)


def require_reason_if_closed(activity, reason, *, new_kind=None, new_starts_at=None):
    """A held activity whose period has closed changes only with a reason (kept in history, at
    most ``CHANGE_REASON_MAX_LENGTH`` characters)."""
    check_reason(reason)
    if activity.status != Activity.Status.HELD:
        return ""
    today = timezone.localdate()
    periods = [activity_period(activity.kind, activity.starts_at)]
    if new_kind or new_starts_at:
        periods.append(activity_period(new_kind or activity.kind, new_starts_at or activity.starts_at))
    if any(period.is_closed(today) for period in periods):
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError(
                {"reason": _("The period of this activity has closed: give a reason for the change.")},
                code="reason_required",
            )
        return reason
    return (reason or "").strip()


def validate_fields(*, kind, title, starts_at, ends_at, room, host, co_hosts, non_member_count):
    errors = bound_errors(Activity, starts_at=starts_at, ends_at=ends_at)
    if kind not in Kind.values:
        errors["kind"] = _("Choose a kind of activity.")
    if not (title or "").strip():
        errors["title"] = _("Give the activity a title.")
    if starts_at is None:
        errors["starts_at"] = _("Give the start time.")
    elif ends_at is not None and ends_at < starts_at and "starts_at" not in errors:
        errors["ends_at"] = _("The activity cannot end before it starts.")
    if kind == Kind.GROUP_MEETING and host.kind != Organization.Kind.GROUP:
        errors["kind"] = _("A party group meeting is hosted by a party group: choose the group as the host.")
    if room is not None and room.park_id != host.park_id:
        errors["room"] = _("The room must be in the host's park.")
    for org in co_hosts:
        if org.pk == host.pk:
            errors["co_hosts"] = _("The host cannot co-host its own activity.")
        elif org.kind not in Organization.BRANCH_KINDS and org.kind != Organization.Kind.GENERAL_BRANCH:
            errors["co_hosts"] = _("Only branches can co-host.")
        elif org.district_id != host.district_id:
            errors["co_hosts"] = _("Co-host branches must be in the host's district.")
    if non_member_count is not None and non_member_count < 0:
        errors["non_member_count"] = _("Enter zero or more.")
    if errors:
        raise ValidationError(errors)


def _attach_files(activity, *, by, photos, attachments):
    uploads = [(ActivityFile.Kind.PHOTO, f) for f in photos or ()]
    uploads += [(ActivityFile.Kind.ATTACHMENT, f) for f in attachments or ()]
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise ValidationError(_("At most %(n)d files at once."), params={"n": MAX_FILES_PER_UPLOAD})
    errors = {"photos": [], "attachments": []}
    for kind, upload in uploads:
        try:
            (validate_photo if kind == ActivityFile.Kind.PHOTO else validate_attachment)(upload)
        except ValidationError as exc:
            errors["photos" if kind == ActivityFile.Kind.PHOTO else "attachments"].extend(exc.messages)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    for kind, upload in uploads:
        ActivityFile.objects.create(
            activity=activity,
            kind=kind,
            file=upload,
            name=upload.name[:200],
            size=upload.size,
            uploaded_by=by,
        )


def _status_for(starts_at):
    return Activity.Status.HELD if starts_at <= timezone.now() else Activity.Status.PLANNED


# --- points ---------------------------------------------------------------------------------------


def _points_for(activity, attendance, rule) -> int:
    if activity.status != Activity.Status.HELD or attendance is None or rule is None or not rule.is_active:
        return 0
    if attendance.status != Attendance.Status.PRESENT:
        return 0
    return rule.points + int(attendance.volunteer_hours * rule.points_per_volunteer_hour)


def _sync_points(activity, member_ids=None) -> None:
    """Make each member's points for ``activity`` equal what the rule gives for their attendance.

    What was awarded before is reversed exactly (one entry of the opposite sign) and the new
    amount awarded, so the ledger tells the story; Member.points moves by the same amount, under the
    member's row lock, so it stays the sum of the ledger when two activities are saved at once.
    """
    attendances = {a.member_id: a for a in activity.attendances.all()}
    if member_ids is None:
        member_ids = set(attendances) | set(
            PointEntry.objects.filter(activity=activity).values_list("member_id", flat=True)
        )
    member_ids = set(member_ids)
    if not member_ids:
        return
    rule = PointRule.objects.filter(kind=activity.kind).first()
    current = dict(
        PointEntry.objects.filter(activity=activity, member_id__in=member_ids)
        .values("member_id")
        .annotate(total=Sum("points"))
        .values_list("member_id", "total")
    )
    entries = []
    for member_id in sorted(member_ids):
        had = current.get(member_id) or 0
        target = _points_for(activity, attendances.get(member_id), rule)
        if had == target:
            continue
        if had:
            entries.append(
                PointEntry(
                    member_id=member_id,
                    activity=activity,
                    points=-had,
                    reason=PointEntry.Reason.REVERSAL,
                    note=activity.title[:200],
                )
            )
        if target:
            entries.append(
                PointEntry(
                    member_id=member_id,
                    activity=activity,
                    points=target,
                    reason=PointEntry.Reason.AWARD,
                    note=activity.title[:200],
                )
            )
    if not entries:
        return
    deltas = defaultdict(int)
    for entry in entries:
        deltas[entry.member_id] += entry.points
    # Lock the members' rows in one order (by pk) before touching them, so that two activities
    # saved at once wait for each other instead of deadlocking (NO KEY UPDATE: the attendance rows
    # this transaction inserted hold a KEY SHARE lock on them, which must not conflict). Then add
    # each member's change to the total as it stands in the database, never a recount from this
    # transaction's snapshot (which misses an award the other one committed meanwhile).
    list(
        Member.objects.select_for_update(no_key=True).filter(pk__in=deltas).order_by("pk").values_list("pk", flat=True)
    )
    for entry in entries:  # one by one so that each ledger line has its history record
        entry.save()
    changed = {member_id: delta for member_id, delta in deltas.items() if delta}
    if changed:
        Member.objects.filter(pk__in=changed).update(
            points=F("points")
            + Case(*(When(pk=member_id, then=Value(delta)) for member_id, delta in changed.items()), default=Value(0))
        )


def _update_quorum(activity) -> None:
    """For a party congress: more than half of the branch's full members present
    (``activities.rules.congress_quorum_met``)."""
    if activity.kind != Kind.PARTY_CONGRESS or activity.status != Activity.Status.HELD:
        activity.voting_members = activity.voting_present = activity.quorum_met = None
        return
    full = set(checklist_members(activity.host).filter(stage=Stage.FULL).values_list("pk", flat=True))
    present = set(
        activity.attendances.filter(status=Attendance.Status.PRESENT, member_id__in=full).values_list(
            "member_id", flat=True
        )
    )
    activity.voting_members = len(full)
    activity.voting_present = len(present)
    activity.quorum_met = congress_quorum_met(len(present), len(full))


def check_reason(reason, field="reason") -> None:
    """Refuse a reason for a change longer than the history keeps (never cut it), or holding a NUL
    character (PostgreSQL cannot store one). Every door reaches it: the attendance page reads the
    reason from the POST as it came, not through a form field."""
    if "\x00" in (reason or ""):
        raise ValidationError({field: ProhibitNullCharactersValidator.message}, code="null_characters_not_allowed")
    if len((reason or "").strip()) > CHANGE_REASON_MAX_LENGTH:
        raise ValidationError(
            {field: _("Give the reason in at most %(limit)d characters.") % {"limit": CHANGE_REASON_MAX_LENGTH}},
            code="max_length",
        )


def _save_with_reason(instance, reason):
    if reason:
        instance._change_reason = reason
    instance.save()


def _notify_below_quorum(activity, by):
    if activity.below_quorum:
        notify(
            recipients=[by],
            title=Text(_("Party congress below quorum: %(title)s"), title=activity.title),
            body=Text(
                _(
                    "Not more than half of the full members were present (%(present)d of %(total)d); "
                    "it does not count for this period."
                ),
                present=activity.voting_present,
                total=activity.voting_members,
            ),
            url=activity.get_absolute_url(),
        )


# --- the actions ----------------------------------------------------------------------------------


@transaction.atomic
def activity_log(
    *,
    by,
    host: Organization,
    kind: str,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    topic: str = "",
    place: str = "",
    room=None,
    online: bool = False,
    co_hosts=(),
    minutes: str = "",
    non_member_count: int = 0,
    attendance: list[AttendanceInput] | None = None,
    photos=(),
    attachments=(),
) -> Activity:
    """Log an activity of ``host``. One that has started is held, with its attendance (everyone
    on the checklist present unless stated otherwise); a future one is planned."""
    _require_manager(by, host)
    co_hosts = list(co_hosts)
    validate_fields(
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        room=room,
        host=host,
        co_hosts=co_hosts,
        non_member_count=non_member_count,
    )
    activity = Activity.objects.create(
        host=host,
        kind=kind,
        title=title.strip(),
        topic=topic.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        room=room,
        online=online,
        minutes=minutes,
        non_member_count=non_member_count or 0,
        status=_status_for(starts_at),
        created_by=by,
    )
    if co_hosts:
        activity.co_hosts.set(co_hosts)
    _attach_files(activity, by=by, photos=photos, attachments=attachments)
    if activity.status == Activity.Status.HELD:
        refresh_on_commit(touched(activity))  # the statistics summary (activities/summaries.py)
        if attendance is None:
            listed = attendance_checklist(host, kind, local_day(starts_at))
            attendance = [AttendanceInput(member_id=m) for m in listed.values_list("pk", flat=True)]
        _write_attendance(activity, attendance)
        _update_quorum(activity)
        activity.save()
        _sync_points(activity)
        _notify_below_quorum(activity, by)
    elif attendance:
        raise ValidationError({"starts_at": _("Attendance can be recorded once the activity has started.")})
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    by,
    reason: str = "",
    photos=(),
    attachments=(),
    **changes,
) -> Activity:
    """Change an activity's details (not its status: see record / cancel). A held activity whose
    period has closed changes only with a reason, recorded in its history."""
    allowed = {
        "kind",
        "title",
        "topic",
        "starts_at",
        "ends_at",
        "place",
        "room",
        "online",
        "co_hosts",
        "minutes",
        "non_member_count",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"activity_update() got unexpected fields {sorted(unknown)}")
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require_manager(by, activity.host)
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot be changed."), code="cancelled")
    co_hosts = list(changes.pop("co_hosts")) if "co_hosts" in changes else None
    merged = {name: getattr(activity, name) for name in allowed - {"co_hosts"}}
    merged.update(changes)
    # The fields first: a date out of range has no period to ask a reason for.
    validate_fields(
        kind=merged["kind"],
        title=merged["title"],
        starts_at=merged["starts_at"],
        ends_at=merged["ends_at"],
        room=merged["room"],
        host=activity.host,
        co_hosts=co_hosts if co_hosts is not None else list(activity.co_hosts.all()),
        non_member_count=merged["non_member_count"],
    )
    reason = require_reason_if_closed(
        activity, reason, new_kind=changes.get("kind"), new_starts_at=changes.get("starts_at")
    )
    if activity.status == Activity.Status.HELD and merged["starts_at"] > timezone.now():
        raise ValidationError({"starts_at": _("A held activity cannot be moved into the future.")})
    old_kind = activity.kind
    summary_keys = touched(activity)
    for name, value in changes.items():
        setattr(activity, name, value.strip() if isinstance(value, str) and name != "minutes" else value)
    _update_quorum(activity)
    _save_with_reason(activity, reason)
    if co_hosts is not None:
        activity.co_hosts.set(co_hosts)
    if activity.status == Activity.Status.HELD:
        refresh_on_commit(summary_keys | touched(activity))
    _attach_files(activity, by=by, photos=photos, attachments=attachments)
    if old_kind != activity.kind:
        _sync_points(activity)
    return activity


def check_attendance(activity, entries) -> None:
    """Refuse attendance of someone not on the activity's checklist (``attendance_checklist``: a
    支委会 lists the committee), a duplicate, a leave without a reason."""
    eligible = set(activity_checklist(activity).values_list("pk", flat=True))
    already = set(activity.attendances.values_list("member_id", flat=True)) if activity.pk else set()
    errors = []
    seen = set()
    for entry in entries:
        if entry.member_id in seen:
            errors.append(_("A member appears twice in the attendance."))
        seen.add(entry.member_id)
        if entry.member_id not in eligible and entry.member_id not in already:
            if activity.kind == Kind.COMMITTEE_MEETING:
                errors.append(_("Only the members of the committee can be recorded on a committee meeting."))
            else:
                errors.append(_("Only the host's party members can be recorded on its attendance list."))
        if entry.status not in Attendance.Status.values:
            errors.append(_("Unknown attendance status."))
        if entry.status == Attendance.Status.LEAVE and not entry.reason.strip():
            errors.append(_("Give the reason for a member's leave."))
        if len(entry.reason.strip()) > LEAVE_REASON_MAX_LENGTH:
            errors.append(
                _("Give the reason for a member's leave in at most %(limit)d characters.")
                % {"limit": LEAVE_REASON_MAX_LENGTH}
            )
        if not (Decimal("0") <= Decimal(entry.volunteer_hours or 0) <= MAX_VOLUNTEER_HOURS):
            errors.append(_("Volunteer hours must be between 0 and 24."))
    if errors:
        raise ValidationError({"attendance": sorted(set(map(str, errors)))})


def _write_attendance(activity, entries, reason=""):
    check_attendance(activity, entries)
    already = {a.member_id: a for a in activity.attendances.all()}
    for entry in entries:
        values = {
            "status": entry.status,
            "reason": entry.reason.strip() if entry.status != Attendance.Status.PRESENT else "",
            "late": entry.late and entry.status == Attendance.Status.PRESENT,
            "left_early": entry.left_early and entry.status == Attendance.Status.PRESENT,
            "volunteer_hours": Decimal(entry.volunteer_hours or 0)
            if entry.status == Attendance.Status.PRESENT
            else Decimal("0"),
        }
        row = already.get(entry.member_id)
        if row is None:
            row = Attendance(activity=activity, member_id=entry.member_id, **values)
            _save_with_reason(row, reason)
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            _save_with_reason(row, reason)


@transaction.atomic
def attendance_record(*, activity: Activity, by, entries: list[AttendanceInput], reason: str = "") -> Activity:
    """Record (or correct) attendance; the activity becomes held. Members not in ``entries`` keep
    their row. Points follow; after the period has closed a reason is required."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require_manager(by, activity.host)
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("A cancelled activity cannot be changed."), code="cancelled")
    if activity.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be recorded once the activity has started."), code="not_started")
    reason = require_reason_if_closed(activity, reason)
    activity.status = Activity.Status.HELD
    refresh_on_commit(touched(activity))
    _write_attendance(activity, entries, reason)
    _update_quorum(activity)
    _save_with_reason(activity, reason)
    _sync_points(activity)
    _notify_below_quorum(activity, by)
    return activity


@transaction.atomic
def activity_cancel(*, activity: Activity, by, reason: str) -> Activity:
    """Cancel an activity; every point it gave is reversed."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require_manager(by, activity.host)
    if activity.status == Activity.Status.CANCELLED:
        raise ValidationError(_("This activity is already cancelled."), code="cancelled")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling.")})
    require_reason_if_closed(activity, reason)
    if activity.status == Activity.Status.HELD:
        refresh_on_commit(touched(activity))
    activity.status = Activity.Status.CANCELLED
    activity.cancel_reason = reason
    _update_quorum(activity)
    _save_with_reason(activity, reason)
    _sync_points(activity)
    return activity


@transaction.atomic
def activity_file_delete(*, activity_file: ActivityFile, by) -> None:
    activity = Activity.objects.select_for_update().get(pk=activity_file.activity_id)
    _require_manager(by, activity.host)
    activity_file.file.delete(save=False)
    activity_file.delete()
