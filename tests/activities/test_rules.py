import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from activities import actions, selectors
from activities.actions import AttendanceInput
from activities.models import Activity, Attendance, PointEntry
from core.periods import local_day, period_of
from members.models import Member, Stage

from .conftest import local

pytestmark = pytest.mark.django_db


def ledger_sum(member):
    return PointEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0


def assert_points_consistent(*members):
    for member in members:
        member.refresh_from_db()
        assert member.points == ledger_sum(member)


def test_log_records_everyone_present_and_awards_points(world, a1_members, log):
    activity = log()
    assert activity.status == Activity.Status.HELD
    assert activity.attendances.count() == len(a1_members)
    for member in a1_members:
        member.refresh_from_db()
        assert member.points == 2  # training, the fixture's default
    assert_points_consistent(*a1_members)


def test_absentees_get_no_points_and_changes_are_reversed_exactly(world, a1_members, log):
    absent, leave = a1_members[0], a1_members[1]
    activity = log(
        attendance=[AttendanceInput(member_id=m.pk) for m in a1_members[2:]]
        + [
            AttendanceInput(member_id=absent.pk, status="absent"),
            AttendanceInput(member_id=leave.pk, status="leave", reason="出差"),
        ]
    )
    absent.refresh_from_db()
    leave.refresh_from_db()
    assert absent.points == 0
    assert leave.points == 0
    present = a1_members[2]
    present.refresh_from_db()
    assert present.points == 2

    # The present member is corrected to absent: the award is reversed, not deleted.
    actions.attendance_record(
        activity=activity,
        by=world.secretary,
        entries=[AttendanceInput(member_id=present.pk, status="absent")],
    )
    present.refresh_from_db()
    assert present.points == 0
    assert list(PointEntry.objects.filter(member=present).order_by("pk").values_list("points", "reason")) == [
        (2, "award"),
        (-2, "reversal"),
    ]
    # And back to present.
    actions.attendance_record(activity=activity, by=world.secretary, entries=[AttendanceInput(member_id=present.pk)])
    present.refresh_from_db()
    assert present.points == 2

    actions.activity_cancel(activity=activity, by=world.secretary, reason="重复录入")
    for member in a1_members:
        member.refresh_from_db()
        assert member.points == 0
    assert_points_consistent(*a1_members)
    assert PointEntry.objects.filter(activity=activity).aggregate(s=Sum("points"))["s"] == 0


def test_volunteer_hours_earn_points_by_rule(world, a1_members, log):
    member = a1_members[0]
    log(kind="volunteer", attendance=[AttendanceInput(member_id=member.pk, volunteer_hours=3)])
    member.refresh_from_db()
    assert member.points == 2 + 3  # 2 for attending, 1 per hour


def test_leave_needs_a_reason(world, a1_members, log):
    with pytest.raises(ValidationError):
        log(attendance=[AttendanceInput(member_id=a1_members[0].pk, status="leave")])
    assert not Activity.objects.exists()


@pytest.mark.parametrize(("present", "quorum"), [(2, False), (3, True)])
def test_party_congress_quorum(world, log, present, quorum):
    # Five full members in the branch (and its party group), one probationary who does not vote.
    from tests.factories import MemberFactory

    members = [world.member_a1, world.member_a1_other, world.member_group]
    members += [MemberFactory(organization=world.branch_a1) for _ in range(2)]
    probationary = MemberFactory(organization=world.branch_a1, stage=Stage.PROBATIONARY, full_on=None)
    entries = [
        AttendanceInput(member_id=m.pk, status="present" if i < present else "absent") for i, m in enumerate(members)
    ]
    entries.append(AttendanceInput(member_id=probationary.pk))
    activity = log(kind="party_congress", starts_at=local(2025, 6, 10), attendance=entries)
    assert activity.voting_members == 5
    assert activity.voting_present == present
    assert activity.quorum_met is quorum
    branch = selectors.compliance([world.branch_a1], year=2025, today=datetime.date(2025, 12, 31))[0]
    row = next(r for r in branch.rows if r.rule.kind == "party_congress")
    cell = next(c for c in row.cells if c.period.contains(local_day(activity.starts_at)))
    assert (cell.state == "held") is quorum
    assert branch.below_quorum == (0 if quorum else 1)


def test_period_boundaries_are_in_shanghai_time():
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai.
    moment = datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC)
    day = local_day(moment)
    assert day == datetime.date(2026, 4, 1)
    assert period_of(day, "month").index == 4
    assert period_of(day, "quarter").index == 2
    before = datetime.datetime(2026, 3, 31, 15, 59, tzinfo=datetime.UTC)
    assert period_of(local_day(before), "quarter").index == 1


def test_calendar_counts_activity_in_its_local_month(world, log):
    starts = datetime.datetime(2025, 3, 31, 16, 30, tzinfo=datetime.UTC)  # 2025-04-01 00:30 in Shanghai
    log(kind="themed_day", starts_at=starts, attendance=[])
    branch = selectors.compliance([world.branch_a1], year=2025, today=datetime.date(2025, 12, 31))[0]
    row = next(r for r in branch.rows if r.rule.kind == "themed_day")
    states = {cell.period.index: cell.state for cell in row.cells}
    assert states[3] == "missing"
    assert states[4] == "held"
    assert branch.rate is not None
    assert branch.met >= 1


def test_cell_states_due_soon_and_upcoming(world, log):
    today = datetime.date(2026, 5, 25)
    branch = selectors.compliance([world.branch_a1], year=2026, today=today)[0]
    row = next(r for r in branch.rows if r.rule.kind == "themed_day")
    states = {cell.period.index: cell.state for cell in row.cells}
    assert states[4] == "missing"
    assert states[5] == "due_soon"
    assert states[6] == "upcoming"
    early = selectors.compliance([world.branch_a1], year=2026, today=datetime.date(2026, 5, 2))[0]
    row = next(r for r in early.rows if r.rule.kind == "themed_day")
    assert row.cells[4].state == "due"


def test_party_group_meeting_counts_for_its_branch(world, log):
    log(host=world.group_a1, kind="group_meeting", starts_at=local(2025, 6, 10), attendance=[])
    branch = selectors.compliance([world.branch_a1], year=2025, today=datetime.date(2025, 12, 31))[0]
    row = next(r for r in branch.rows if r.rule.kind == "group_meeting")
    assert any(c.state == "held" for c in row.cells)


def test_editing_a_held_activity_after_its_period_needs_a_reason(world, a1_members, log):
    activity = log(starts_at=local(2025, 1, 10))
    with pytest.raises(ValidationError) as exc:
        actions.activity_update(activity=activity, by=world.secretary, title="改过的标题")
    assert "reason" in exc.value.error_dict
    with pytest.raises(ValidationError):
        actions.attendance_record(
            activity=activity,
            by=world.secretary,
            entries=[AttendanceInput(member_id=a1_members[0].pk, status="absent")],
        )
    actions.activity_update(activity=activity, by=world.secretary, title="改过的标题", reason="补录会议主题")
    activity.refresh_from_db()
    assert activity.title == "改过的标题"
    latest = activity.history.latest()
    assert latest.history_change_reason == "补录会议主题"
    assert latest.history_user_id is None or latest.history_user_id == world.secretary.pk

    actions.attendance_record(
        activity=activity,
        by=world.secretary,
        reason="更正考勤",
        entries=[AttendanceInput(member_id=a1_members[0].pk, status="absent")],
    )
    att = Attendance.objects.get(activity=activity, member=a1_members[0])
    assert att.history.latest().history_change_reason == "更正考勤"


def test_editing_in_the_current_period_needs_no_reason(world, log):
    activity = log()
    actions.activity_update(activity=activity, by=world.secretary, title="新标题")
    activity.refresh_from_db()
    assert activity.title == "新标题"


def test_moving_a_held_activity_into_a_closed_period_needs_a_reason(world, log):
    activity = log()
    with pytest.raises(ValidationError):
        actions.activity_update(activity=activity, by=world.secretary, starts_at=local(2025, 2, 1))


def test_future_activity_is_planned_and_attendance_waits(world, a1_members, log):
    activity = log(starts_at=timezone.now() + datetime.timedelta(days=3), attendance=None)
    assert activity.status == Activity.Status.PLANNED
    assert not activity.attendances.exists()
    with pytest.raises(ValidationError):
        actions.attendance_record(
            activity=activity, by=world.secretary, entries=[AttendanceInput(member_id=a1_members[0].pk)]
        )


def test_attendance_only_for_the_hosts_members(world, log):
    with pytest.raises(ValidationError):
        log(attendance=[AttendanceInput(member_id=world.member_b.pk)])
    assert not Activity.objects.exists()


def test_cancelled_activity_cannot_change(world, log):
    activity = log()
    actions.activity_cancel(activity=activity, by=world.secretary, reason="天气")
    with pytest.raises(ValidationError):
        actions.activity_update(activity=activity, by=world.secretary, title="x")
    with pytest.raises(ValidationError):
        actions.activity_cancel(activity=activity, by=world.secretary, reason="again")


def test_changing_kind_moves_points_to_the_new_rule(world, a1_members, log):
    activity = log()
    actions.activity_update(activity=activity, by=world.secretary, kind="party_lecture")
    member = Member.objects.get(pk=a1_members[0].pk)
    assert member.points == 3
    assert_points_consistent(*a1_members)
