"""Demo data: a year of organisation life for every branch, with gaps, and the points it earned.

Idempotent (a branch that already has activities is left alone) and deterministic (``rng``).
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from activities.defaults import ensure_default_rules
from activities.models import Activity, Attendance, Kind, PointEntry, PointRule
from activities.selectors import ATTENDING_STAGES, COMPLIANCE_KINDS
from core.periods import day_start
from elections.selectors import committee_member_ids
from members.models import Member, Stage
from parks.models import Organization

TITLES = {
    Kind.COMMITTEE_MEETING: "支委会：研究本月党建工作",
    Kind.PARTY_CONGRESS: "支部党员大会：学习贯彻上级精神",
    Kind.PARTY_LECTURE: "书记讲党课：电商发展与党建引领",
    Kind.THEMED_DAY: "主题党日：走进园区直播基地",
    Kind.LIFE_MEETING: "年度组织生活会",
    Kind.DEMOCRATIC_REVIEW: "民主评议党员",
    Kind.VOLUNTEER: "志愿服务：园区快递驿站助老",
}
LEAVE_REASONS = ["出差", "外地参展", "家中有事", "身体不适"]


@transaction.atomic
def seed(*, rng: random.Random, stdout) -> None:
    ensure_default_rules()
    today = timezone.localdate()
    secretary = get_user_model().objects.filter(username="secretary").first()
    rules = {rule.kind: rule for rule in PointRule.objects.all()}
    branches = list(Organization.objects.filter(kind__in=COMPLIANCE_KINDS).order_by("code"))
    created = 0
    for branch in branches:
        if Activity.objects.filter(host=branch).exists():
            continue
        members = list(
            Member.objects.filter(
                organization__in=Organization.objects.with_descendants({branch.pk}),
                status=Member.Status.ACTIVE,
                stage__in=ATTENDING_STAGES,
            ).values_list("pk", "stage")
        )
        plan = _plan(today, rng)
        # A 支委会's checklist is the committee on the day (activities.rules): a branch without a
        # committee then holds none (its 支委会 cells are "not applicable").
        committees = {}
        for kind, start in plan:
            if kind == Kind.COMMITTEE_MEETING:
                committees[start] = committee_member_ids(branch, on=timezone.localdate(start))
        plan = [(kind, start) for kind, start in plan if kind != Kind.COMMITTEE_MEETING or committees[start]]
        activities = [
            Activity(
                host=branch,
                kind=kind,
                title=TITLES.get(kind, kind),
                starts_at=start,
                ends_at=start + datetime.timedelta(hours=2),
                place="党群服务中心",
                minutes="会议按议程进行。" if kind != Kind.VOLUNTEER else "",
                non_member_count=rng.randint(0, 5) if kind == Kind.THEMED_DAY else 0,
                status=Activity.Status.HELD,
                created_by=secretary,
            )
            for kind, start in plan
        ]
        Activity.objects.bulk_create(activities)
        attendances, entries = [], []
        full = sum(1 for _pk, stage in members if stage == Stage.FULL)
        for activity in activities:
            present_full = 0
            listed = committees[activity.starts_at] if activity.kind == Kind.COMMITTEE_MEETING else None
            for member_id, stage in members:
                if listed is not None and member_id not in listed:
                    continue
                roll = rng.random()
                status = "present" if roll < 0.85 else ("leave" if roll < 0.95 else "absent")
                hours = 2 if activity.kind == Kind.VOLUNTEER and status == "present" else 0
                attendances.append(
                    Attendance(
                        activity=activity,
                        member_id=member_id,
                        status=status,
                        reason=rng.choice(LEAVE_REASONS) if status == "leave" else "",
                        volunteer_hours=hours,
                    )
                )
                if status == "present":
                    present_full += stage == Stage.FULL
                    rule = rules.get(activity.kind)
                    if rule is not None and rule.is_active:
                        points = rule.points + hours * rule.points_per_volunteer_hour
                        entries.append(
                            PointEntry(
                                member_id=member_id,
                                activity=activity,
                                points=points,
                                reason=PointEntry.Reason.AWARD,
                                note=activity.title[:200],
                            )
                        )
            if activity.kind == Kind.PARTY_CONGRESS:
                activity.voting_members, activity.voting_present = full, present_full
                activity.quorum_met = full > 0 and 2 * present_full > full
        Activity.objects.bulk_update(
            [a for a in activities if a.kind == Kind.PARTY_CONGRESS],
            ["voting_members", "voting_present", "quorum_met"],
        )
        Attendance.objects.bulk_create(attendances)
        PointEntry.objects.bulk_create(entries)
        created += len(activities)
    total = PointEntry.objects.filter(member_id=OuterRef("pk")).values("member_id").annotate(s=Sum("points"))
    Member.objects.update(points=Coalesce(Subquery(total.values("s")), Value(0)))
    stdout.write(f"activities: {created} activities for {len(branches)} branches")


def _plan(today, rng):
    """(kind, start) for the last twelve months, skipping some months so that gaps show."""
    plan = []
    for back in range(11, -1, -1):
        year, month = today.year, today.month - back
        while month < 1:
            month += 12
            year -= 1
        last_day = today.day - 1 if back == 0 else 28
        if last_day < 1:
            continue

        def at(day, hour=14, year=year, month=month, last_day=last_day):
            return day_start(datetime.date(year, month, min(day, last_day))) + datetime.timedelta(hours=hour)

        if rng.random() < 0.8:
            plan.append((Kind.COMMITTEE_MEETING, at(5, 19)))
        if rng.random() < 0.75:
            plan.append((Kind.THEMED_DAY, at(15)))
        if month % 3 == 0 and rng.random() < 0.8:
            plan.append((Kind.PARTY_CONGRESS, at(20)))
        if month % 3 == 2 and rng.random() < 0.8:
            plan.append((Kind.PARTY_LECTURE, at(25)))
        if month == 1:
            plan.append((Kind.LIFE_MEETING, at(18)))
            plan.append((Kind.DEMOCRATIC_REVIEW, at(19)))
        if rng.random() < 0.3:
            plan.append((Kind.VOLUNTEER, at(10, 9)))
    return plan
