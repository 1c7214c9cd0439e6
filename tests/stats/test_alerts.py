"""The dashboard's alerts: each rule with a case that triggers it and one that does not."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from activities.models import Activity
from members.models import DuesPayment, Member, Stage, StageChange, Transfer
from parks.models import Organization
from services.models import ServiceRequest
from stats import alerts
from stats.statistics import StatScope
from tests.activities.factories import ActivityFactory, AttendanceFactory
from tests.factories import EnterpriseFactory, MemberFactory, OrganizationFactory
from tests.services.factories import ServiceRequestFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def subjects(world, code, *, user=None, scope=None, today=TODAY):
    scope = scope or StatScope.of(world.district_a)
    return [a.subject for a in alerts.alerts_of_kind(user or world.official, scope, code, today=today)]


def moment(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def full_members(n, **kwargs):
    return [MemberFactory(**kwargs) for _ in range(n)]


def test_enterprise_with_three_full_members_and_no_own_branch(world):
    bare = EnterpriseFactory(name="无支部企业", park=world.park_a1)
    full_members(3, organization=world.branch_a2, employer=bare)
    joint = EnterpriseFactory(name="联建企业", park=world.park_a1)
    full_members(3, organization=world.branch_a2, employer=joint)
    joint_branch = OrganizationFactory(
        park=world.park_a1, formation=Organization.Formation.JOINT, kind=Organization.Kind.JOINT_BRANCH
    )
    joint_branch.enterprises.add(joint, EnterpriseFactory(park=world.park_a1))
    own = EnterpriseFactory(name="自建企业", park=world.park_a1)
    full_members(3, organization=world.branch_a2, employer=own)
    OrganizationFactory(park=world.park_a1, formation=Organization.Formation.SINGLE).enterprises.add(own)
    small = EnterpriseFactory(name="两人企业", park=world.park_a1)
    full_members(2, organization=world.branch_a2, employer=small)
    MemberFactory(organization=world.branch_a2, employer=small, stage=Stage.PROBATIONARY, full_on=None)
    assert sorted(subjects(world, "enterprise_without_branch")) == ["无支部企业", "联建企业"]
    # Not in district B's figures, nor in park A2's.
    assert (
        subjects(world, "enterprise_without_branch", user=world.official_b, scope=StatScope.of(world.district_b)) == []
    )
    assert subjects(world, "enterprise_without_branch", scope=StatScope.of(world.park_a2)) == []


def test_branch_with_more_than_fifty_members(world):
    big = OrganizationFactory(name="大支部", park=world.park_a1)
    full_members(40, organization=big)
    group = OrganizationFactory(kind=Organization.Kind.GROUP, park=world.park_a1, parent=big)
    full_members(11, organization=group)  # a party group's members count for its branch: 51
    at_limit = OrganizationFactory(name="满员支部", park=world.park_a1)
    full_members(45, organization=at_limit)
    full_members(
        5,
        organization=at_limit,
        stage=Stage.APPLICANT,
        activist_on=None,
        candidate_on=None,
        probationary_on=None,
        full_on=None,
    )  # applicants are not party members yet
    assert subjects(world, "branch_too_big") == ["大支部"]


def test_branch_with_seven_full_members_needs_a_committee(world):
    """Read from the recorded committee: the current approved election elected 3 or more members."""
    from tests.elections.factories import elected

    no_committee = OrganizationFactory(name="七人支部", park=world.park_a1)
    full_members(7, organization=no_committee)
    with_committee = OrganizationFactory(name="有支委支部", park=world.park_a1)
    elected(with_committee, full_members(8, organization=with_committee)[:3])
    six = OrganizationFactory(name="六人支部", park=world.park_a1)
    full_members(6, organization=six)
    full_members(3, organization=six, stage=Stage.PROBATIONARY, full_on=None)
    secretary_only = OrganizationFactory(name="只有书记支部", park=world.park_a1)
    elected(secretary_only, full_members(7, organization=secretary_only)[:1])
    awaiting = OrganizationFactory(name="待批准支部", park=world.park_a1)
    elected(awaiting, full_members(7, organization=awaiting)[:3], status="submitted")
    assert sorted(subjects(world, "committee_needed")) == sorted(["七人支部", "只有书记支部", "待批准支部"])
    # A committee meeting held does not stand for an elected committee.
    ActivityFactory(
        host=no_committee, kind=Activity.Kind.COMMITTEE_MEETING, starts_at=moment(TODAY - datetime.timedelta(days=40))
    )
    assert "七人支部" in subjects(world, "committee_needed")


def test_branch_without_a_secretary(world):
    Organization.objects.filter(pk=world.branch_a1.pk).update(secretary=world.member_a1)
    assert subjects(world, "no_secretary") == ["支部A2"]
    # The committee and the party group are not branches.
    assert "联合党委A" not in subjects(world, "no_secretary")


def test_term_expired_and_ending_within_ninety_days(world):
    Organization.objects.filter(pk=world.branch_a1.pk).update(term_end=TODAY - datetime.timedelta(days=1))
    Organization.objects.filter(pk=world.branch_a2.pk).update(term_end=TODAY + datetime.timedelta(days=90))
    assert subjects(world, "term_expired") == ["支部A1"]
    assert subjects(world, "term_ending") == ["支部A2"]
    Organization.objects.filter(pk=world.branch_a2.pk).update(term_end=TODAY + datetime.timedelta(days=91))
    assert subjects(world, "term_ending") == []


def test_branch_with_no_held_activity_for_sixty_days(world):
    ActivityFactory(host=world.group_a1, starts_at=moment(TODAY - datetime.timedelta(days=59)))
    ActivityFactory(host=world.branch_a2, starts_at=moment(TODAY - datetime.timedelta(days=61)))
    ActivityFactory(
        host=world.branch_a2, starts_at=moment(TODAY - datetime.timedelta(days=5)), status=Activity.Status.CANCELLED
    )
    new = OrganizationFactory(name="新支部", park=world.park_a1, founded_on=TODAY - datetime.timedelta(days=10))
    assert new.pk  # founded ten days ago: not flagged yet
    # Branch A1 is active through its party group; A2's last held activity is 61 days old.
    assert subjects(world, "inactive_branch") == ["支部A2"]
    joint = ActivityFactory(host=world.branch_a1, starts_at=moment(TODAY - datetime.timedelta(days=3)))
    joint.co_hosts.add(world.branch_a2)
    assert subjects(world, "inactive_branch") == []


def test_the_cached_last_activities_follow_every_change_of_an_activity(world):
    """Each branch's last held activity is cached between two writes to activities: an activity
    held, cancelled, moved, deleted, a co-host added or removed, and another day are each seen by
    the next view."""
    ActivityFactory(host=world.group_a1, starts_at=moment(TODAY - datetime.timedelta(days=1)))
    old = moment(TODAY - datetime.timedelta(days=61))
    ActivityFactory(host=world.branch_a2, starts_at=old)
    assert subjects(world, "inactive_branch") == ["支部A2"]
    assert subjects(world, "inactive_branch") == ["支部A2"]  # from the cache
    recent = ActivityFactory(host=world.branch_a2, starts_at=moment(TODAY - datetime.timedelta(days=5)))
    assert subjects(world, "inactive_branch") == []
    recent.status = Activity.Status.CANCELLED
    recent.save()
    assert subjects(world, "inactive_branch") == ["支部A2"]
    recent.status, recent.starts_at = Activity.Status.HELD, old
    recent.save()
    assert subjects(world, "inactive_branch") == ["支部A2"]
    recent.starts_at = moment(TODAY - datetime.timedelta(days=2))
    recent.save()
    assert subjects(world, "inactive_branch") == []
    recent.delete()
    assert subjects(world, "inactive_branch") == ["支部A2"]
    joint = ActivityFactory(host=world.branch_a1, starts_at=moment(TODAY - datetime.timedelta(days=3)))
    joint.co_hosts.add(world.branch_a2)
    assert subjects(world, "inactive_branch") == []
    joint.co_hosts.remove(world.branch_a2)
    assert subjects(world, "inactive_branch") == ["支部A2"]
    # Another day: the group's activity of yesterday is 61 days old 60 days later.
    assert subjects(world, "inactive_branch", today=TODAY + datetime.timedelta(days=60)) == ["支部A1", "支部A2"]


@pytest.mark.parametrize(
    ("held", "flagged"),
    [
        ((60, datetime.time(0, 10)), False),  # the cutoff day, just after local midnight (16:10 UTC the day before)
        ((61, datetime.time(23, 50)), True),  # the day before it, just before local midnight
        ((59, datetime.time(12, 0)), False),  # the day after it
    ],
)
def test_sixty_days_without_activity_are_counted_in_local_days(world, held, flagged):
    days, at = held
    day = TODAY - datetime.timedelta(days=days)
    ActivityFactory(host=world.group_a1, starts_at=moment(TODAY))
    ActivityFactory(host=world.branch_a2, starts_at=timezone.make_aware(datetime.datetime.combine(day, at)))
    found = {
        a.subject: a.detail
        for a in alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), "inactive_branch", today=TODAY)
    }
    assert ("支部A2" in found) is flagged
    if flagged:
        assert found["支部A2"] == f"Last activity held on {day.isoformat()}."


def test_probation_due_after_a_year_unless_extended(world):
    due = MemberFactory(
        name="到期预备党员",
        organization=world.branch_a1,
        stage=Stage.PROBATIONARY,
        full_on=None,
        probationary_on=TODAY - datetime.timedelta(days=370),
    )
    MemberFactory(
        name="未到期预备党员",
        organization=world.branch_a1,
        stage=Stage.PROBATIONARY,
        full_on=None,
        probationary_on=TODAY - datetime.timedelta(days=300),
    )
    extended = MemberFactory(
        name="延长预备期",
        organization=world.branch_a1,
        stage=Stage.PROBATIONARY,
        full_on=None,
        probationary_on=TODAY - datetime.timedelta(days=400),
    )
    StageChange.objects.create(
        member=extended,
        kind=StageChange.Kind.EXTENSION,
        from_stage=Stage.PROBATIONARY,
        to_stage=Stage.PROBATIONARY,
        effective_on=TODAY + datetime.timedelta(days=100),
    )
    assert subjects(world, "probation_due") == ["到期预备党员"]
    alert = alerts.alerts_of_kind(world.park_admin, StatScope.of(world.park_a1), "probation_due", today=TODAY)[0]
    assert alert.url == f"/members/member/{due.pk}/lifecycle/"
    # An official sees the alert but cannot open the member's page.
    assert (
        alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), "probation_due", today=TODAY)[0].url
        is None
    )


def test_overdue_transfers(world):
    late = Transfer.objects.create(
        member=world.member_a1, from_organization=world.branch_a1, to_organization=world.branch_a2, reason="调动"
    )
    Transfer.objects.filter(pk=late.pk).update(requested_at=moment(TODAY - datetime.timedelta(days=8)))
    fresh = Transfer.objects.create(
        member=world.member_a2, from_organization=world.branch_a2, to_organization=world.branch_a1, reason="调动"
    )
    Transfer.objects.filter(pk=fresh.pk).update(requested_at=moment(TODAY - datetime.timedelta(days=2)))
    done = Transfer.objects.create(
        member=world.member_a1_other,
        from_organization=world.branch_a1,
        to_organization=world.branch_a2,
        reason="调动",
        status=Transfer.Status.DONE,
    )
    Transfer.objects.filter(pk=done.pk).update(requested_at=moment(TODAY - datetime.timedelta(days=80)))
    assert subjects(world, "transfer_overdue") == ["成员A1"]
    # Seen from the receiving side too, but not from district B.
    assert subjects(world, "transfer_overdue", scope=StatScope.of(world.park_a2)) == ["成员A1"]
    assert subjects(world, "transfer_overdue", user=world.official_b, scope=StatScope.of(world.district_b)) == []


def test_overdue_service_requests(world):
    late = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user, title="逾期诉求")
    ServiceRequest.objects.filter(pk=late.pk).update(due_on=TODAY - datetime.timedelta(days=1))
    on_time = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user, title="未逾期")
    ServiceRequest.objects.filter(pk=on_time.pk).update(due_on=TODAY)
    closed = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user, title="已办结")
    ServiceRequest.objects.filter(pk=closed.pk).update(
        due_on=TODAY - datetime.timedelta(days=9), status=ServiceRequest.Status.RESOLVED
    )
    elsewhere = ServiceRequestFactory(enterprise=world.enterprise_b, requester=world.member_user)
    ServiceRequest.objects.filter(pk=elsewhere.pk).update(due_on=TODAY - datetime.timedelta(days=1))
    assert subjects(world, "request_overdue") == [f"#{late.pk} 逾期诉求"]


@pytest.mark.postgres
def test_overdue_requests_are_read_from_the_open_requests_index(world):
    """The overdue requests' count and first rows can be read from the index of open requests by
    due date (``servicerequest_open_due``): its condition is implied by ``overdue_q``, so the
    alert does not sort every request of the district to show ten."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    late = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user)
    ServiceRequest.objects.filter(pk=late.pk).update(due_on=TODAY - datetime.timedelta(days=1))
    with CaptureQueriesContext(connection) as captured:
        rows = alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), "request_overdue", today=TODAY)
        assert len(rows) == 1
        assert [a.subject for a in rows[0:10]] == [str(late)]
    reads = [q["sql"] for q in captured if ServiceRequest._meta.db_table in q["sql"]]
    assert len(reads) == 2  # the count, the first rows
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: show the index can serve
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "servicerequest_open_due" in plan, plan


def registered_on(day, *members):
    """Moves the members' registration (never changed in the portal). An ``update()`` leaves no
    history row, which the cached alert counts rely on (stats.statistics.data_version): cleared."""
    Member.objects.filter(pk__in=[m.pk for m in members]).update(created_at=moment(day))
    cache.clear()


def test_lapse_risk_one_alert_per_ground_with_since_when(world):
    # Registered two years before TODAY; nobody attended or paid, except: member A1 attended a
    # themed party day a month ago, member A2's dues are covered up to this month.
    everyone = [world.member_a1, world.member_a1_other, world.member_group, world.member_a2]
    registered_on(TODAY - datetime.timedelta(days=730), *everyone)
    day = TODAY - datetime.timedelta(days=30)
    AttendanceFactory(activity=ActivityFactory(host=world.branch_a1, starts_at=moment(day)), member=world.member_a1)
    DuesPayment.objects.create(
        member=world.member_a2,
        month=TODAY.replace(day=1),
        amount_due=10,
        amount_paid=10,
        paid_on=TODAY - datetime.timedelta(days=400),  # prepaid long ago: the month covered counts
    )
    assert sorted(subjects(world, "lapse_no_life")) == sorted(["成员A1乙", "小组成员", "成员A2"])
    assert sorted(subjects(world, "lapse_no_dues")) == sorted(["成员A1", "成员A1乙", "小组成员"])
    details = {
        a.subject: a.detail
        for a in alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), "lapse_no_life", today=TODAY)
    }
    assert details["成员A2"] == f"No organisation life since {(TODAY - datetime.timedelta(days=730)).isoformat()}."
    dues = alerts.alerts_of_kind(world.official, StatScope.of(world.district_a), "lapse_no_dues", today=TODAY)
    registered = TODAY - datetime.timedelta(days=730)
    first_month = (registered.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    assert {a.detail for a in dues} == {f"Dues not covered since {first_month:%Y-%m}."}
    # Registered five months before: no ground yet.
    registered_on(TODAY - datetime.timedelta(days=150), *everyone)
    assert subjects(world, "lapse_no_life") == subjects(world, "lapse_no_dues") == []


def test_the_cached_lapse_counts_follow_every_change_of_their_data(world):
    """The lapse counts are cached between two writes to what they read: attendance recorded,
    changed and deleted, its activity cancelled, dues settled and unsettled, a leave approved and
    removed, a member moved to another branch, and another day are each seen by the next view,
    whose counts and rows agree with the branch dues page (the Python rule)."""
    from members.actions import membership_changed
    from members.models import MemberLeave
    from members.selectors import branch_dues

    everyone = [world.member_a1, world.member_a1_other, world.member_group, world.member_a2]
    registered_on(TODAY - datetime.timedelta(days=730), *everyone)
    scope = StatScope.of(world.district_a)
    ids = [world.branch_a1.pk, world.group_a1.pk, world.branch_a2.pk]

    def flagged(today=TODAY):
        """{lapse kind: the members the section counts}, checked against the rows and the rule."""
        counted = {g.code: g.count for g in alerts.alerts_for(world.official, scope, today=today)}
        rows = branch_dues(ids, today=today)
        rule = {
            "lapse_no_life": {r.member.name for r in rows if r.no_life_since},
            "lapse_no_dues": {r.member.name for r in rows if r.no_dues_since},
        }
        shown = {code: set(subjects(world, code, today=today)) for code in rule}
        assert shown == rule
        assert {code: counted.get(code, 0) for code in rule} == {code: len(names) for code, names in rule.items()}
        return shown

    def lifeless(today=TODAY):
        return flagged(today)["lapse_no_life"]

    def unpaid(today=TODAY):
        return flagged(today)["lapse_no_dues"]

    names = {"成员A1", "成员A1乙", "小组成员", "成员A2"}
    assert lifeless() == unpaid() == names
    assert lifeless() == names  # from the cache
    activity = ActivityFactory(host=world.branch_a1, starts_at=moment(TODAY - datetime.timedelta(days=30)))
    attended = AttendanceFactory(activity=activity, member=world.member_a1)
    assert lifeless() == names - {"成员A1"}
    attended.status = "absent"
    attended.save()
    assert lifeless() == names
    attended.status = "present"
    attended.save()
    assert lifeless() == names - {"成员A1"}
    activity.status = Activity.Status.CANCELLED
    activity.save()
    assert lifeless() == names
    activity.status = Activity.Status.HELD
    activity.save()
    assert lifeless() == names - {"成员A1"}
    attended.delete()
    assert lifeless() == names

    paid = DuesPayment.objects.create(
        member=world.member_a2, month=TODAY.replace(day=1), amount_due=10, amount_paid=10, paid_on=TODAY
    )
    assert unpaid() == names - {"成员A2"}
    paid.amount_paid = 5
    paid.save()
    assert unpaid() == names
    paid.amount_paid = 10
    paid.save()
    assert unpaid() == names - {"成员A2"}
    paid.delete()
    assert unpaid() == names

    abroad = MemberLeave.objects.create(
        member=world.member_group, kind="abroad", starts_on=TODAY - datetime.timedelta(days=700), arrangement="出国"
    )
    assert lifeless() == unpaid() == names - {"小组成员"}
    abroad.delete()
    assert lifeless() == unpaid() == names

    moved = Member.objects.get(pk=world.member_a1_other.pk)  # registered two years ago
    moved.organization = world.branch_a2
    moved.save()
    joined = TODAY - datetime.timedelta(days=10)
    membership_changed(member=moved, before_organization_id=world.branch_a1.pk, before_status=moved.status, on=joined)
    assert lifeless() == unpaid() == names - {"成员A1乙"}
    # Another day: six months after joining branch A2, the moved member is flagged again.
    later = joined + datetime.timedelta(days=240)
    assert lifeless(later) == unpaid(later) == names


def test_alerts_are_grouped_in_order_and_empty_kinds_left_out(world):
    groups = alerts.alerts_for(world.official, StatScope.of(world.district_a), today=TODAY)
    codes = [g.code for g in groups]
    assert codes == [code for code in alerts.KINDS if code in codes]
    assert all(g.count for g in groups)
    assert "branch_too_big" not in codes


def test_alerts_query_count_does_not_grow(world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(n):
        for _i in range(n):
            branch = OrganizationFactory(park=world.park_a1, term_end=TODAY - datetime.timedelta(days=1))
            enterprise = EnterpriseFactory(park=world.park_a1)
            full_members(7, organization=branch, employer=enterprise)
            MemberFactory(
                organization=branch,
                stage=Stage.PROBATIONARY,
                full_on=None,
                probationary_on=TODAY - datetime.timedelta(days=400),
            )
            ActivityFactory(
                host=branch, kind=Activity.Kind.THEMED_DAY, starts_at=moment(TODAY - datetime.timedelta(days=90))
            )
            request = ServiceRequestFactory(enterprise=enterprise, requester=world.member_user)
            ServiceRequest.objects.filter(pk=request.pk).update(due_on=TODAY - datetime.timedelta(days=1))

    scope = StatScope.of(world.district_a)
    grow(1)
    with CaptureQueriesContext(connection) as small:
        alerts.alerts_for(world.official, scope, today=TODAY)
    grow(5)
    with django_assert_max_num_queries(len(small)):
        groups = alerts.alerts_for(world.official, scope, today=TODAY)
    assert {g.code: g.count for g in groups}["committee_needed"] == 6


def test_lapse_alerts_flag_the_same_grounds_as_the_branch_dues_page(world):
    from members.selectors import branch_dues

    today = timezone.localdate()
    old = moment(today - datetime.timedelta(days=250))
    recent = moment(today - datetime.timedelta(days=20))
    members = [MemberFactory(organization=world.branch_a1) for _ in range(6)]
    AttendanceFactory(activity=ActivityFactory(host=world.branch_a1, starts_at=recent), member=members[0])
    AttendanceFactory(activity=ActivityFactory(host=world.branch_a1, starts_at=old), member=members[1])
    AttendanceFactory(
        activity=ActivityFactory(host=world.branch_a1, starts_at=recent), member=members[2], status="absent"
    )
    AttendanceFactory(
        activity=ActivityFactory(host=world.branch_a1, starts_at=recent, status=Activity.Status.CANCELLED),
        member=members[3],
    )
    DuesPayment.objects.create(
        member=members[4],
        month=today.replace(day=1),
        amount_due=5,
        amount_paid=5,
        paid_on=today - datetime.timedelta(days=3),
    )
    DuesPayment.objects.create(
        member=members[5],
        month=today.replace(day=1),
        amount_due=5,
        amount_paid=0,
        paid_on=today - datetime.timedelta(days=3),
    )
    MemberFactory(organization=world.branch_a1, stage=Stage.PROBATIONARY, full_on=None)
    registered_on(today - datetime.timedelta(days=400), *Member.objects.all())
    scope = StatScope.of(world.district_a)

    def alerted(code):
        return {a.subject for a in alerts.alerts_of_kind(world.official, scope, code, today=today)}

    ids = [world.branch_a1.pk, world.group_a1.pk, world.branch_a2.pk]
    rows = branch_dues(ids, today=today)
    assert alerted("lapse_no_life") == {r.member.name for r in rows if r.no_life_since}
    assert alerted("lapse_no_dues") == {r.member.name for r in rows if r.no_dues_since}
    no_life = {r.member.pk for r in rows if r.no_life_since}
    no_dues = {r.member.pk for r in rows if r.no_dues_since}
    assert members[0].pk not in no_life
    assert {members[1].pk, members[2].pk, members[3].pk} <= no_life
    assert members[4].pk not in no_dues
    assert members[5].pk in no_dues


def test_the_section_counts_every_alert_and_builds_only_the_first_rows(world, monkeypatch):
    """The dashboard section shows each kind's count and its first rows; the count is the whole
    list's (the drill-down's), and only the first rows are built."""
    for _i in range(7):
        request = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user)
        ServiceRequest.objects.filter(pk=request.pk).update(due_on=TODAY - datetime.timedelta(days=3))
        OrganizationFactory(park=world.park_a1, secretary=None)
    scope = StatScope.of(world.district_a)
    everything = {g.code: g for g in alerts.alerts_for(world.official, scope, today=TODAY)}
    built = []
    original = alerts.Alert.__init__

    def counting_init(self, *args, **kwargs):
        built.append(args[0] if args else kwargs["code"])
        original(self, *args, **kwargs)

    monkeypatch.setattr(alerts.Alert, "__init__", counting_init)
    section = {g.code: g for g in alerts.alerts_for(world.official, scope, today=TODAY, first=2)}
    assert section.keys() == everything.keys()
    for code, group in section.items():
        assert group.count == everything[code].count == len(everything[code].items)
        assert group.items == everything[code].items[:2]
        assert built.count(code) == min(2, group.count)
    assert section["request_overdue"].count >= 7
    assert section["no_secretary"].count >= 7


def test_the_drill_down_builds_one_page(world, client, monkeypatch):
    from django.urls import reverse

    monkeypatch.setattr("stats.views.ROWS_PER_PAGE", 10)
    for i in range(15):
        OrganizationFactory(park=world.park_a1, secretary=None, name=f"无书记支部{i:02d}")
    scope = StatScope.of(world.district_a)
    rows = alerts.alerts_of_kind(world.official, scope, "no_secretary", today=TODAY)
    everything = [a.subject for a in rows[0 : len(rows)]]
    assert len(rows) == len(everything) >= 15
    assert [a.subject for a in rows[5:8]] == everything[5:8]
    assert rows[-1].subject == everything[-1]
    client.force_login(world.official)
    url = reverse("dashboard_rows", args=["district", world.district_a.pk, "alert-no_secretary"])
    first, second = client.get(url).context["page"], client.get(url, {"page": 2}).context["page"]
    assert first.paginator.count == len(everything)
    assert [a.subject for a in first.object_list] == everything[:10]
    assert [a.subject for a in second.object_list] == everything[10:20]


def test_the_alerts_section_costs_the_same_queries_at_two_sizes(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    def grow(n):
        for _i in range(n):
            request = ServiceRequestFactory(enterprise=world.enterprise_a1, requester=world.member_user)
            ServiceRequest.objects.filter(pk=request.pk).update(
                due_on=timezone.localdate() - datetime.timedelta(days=3)
            )
            branch = OrganizationFactory(park=world.park_a1, secretary=None)
            full_members(2, organization=branch)

    client.force_login(world.official)
    url = reverse("dashboard_alerts", args=["district", world.district_a.pk])

    attendance = AttendanceFactory(
        activity=ActivityFactory(host=world.branch_a1, starts_at=moment(timezone.localdate())),
        member=world.member_a1,
    )
    writes = {
        "member": lambda: Member.objects.first().save(),  # a new version of the members' data
        "attendance": lambda: attendance.save(),
        None: lambda: None,
    }

    def cost():
        """{the write before the view: the queries of the section}."""
        queries = {}
        for write in writes:
            client.get(url)
            writes[write]()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200
            queries[write] = len(captured)
        return queries, response.content.decode()

    grow(2)
    small, _page = cost()
    grow(20)
    big, page = cost()
    assert big == small
    # Between two writes the member counts by branch and stage, the full members of each
    # enterprise, the pipeline's numbered rows and the lapse counts come from the cache; the
    # branches' last activities too, which a write to a member leaves as they are. After a write
    # to a member each of the four is read again (the lapse counts: their leave check and one
    # count per ground); after a write to an attendance, the lapse counts only.
    assert small["member"] == small[None] + 6
    assert small["attendance"] == small[None] + 3
    assert page.count("/services/requests/") == alerts.SECTION_ROWS


HEAVY_KINDS = ("talk_due", "candidacy_due", "probation_due", "transfer_overdue", "lapse_no_life", "lapse_no_dues")


def test_members_are_counted_in_sql_at_the_same_cost_whatever_their_number(world):
    """The pipeline's deadlines, overdue transfers and the lapse risk: the alerts section and a
    drill-down page cost the same queries with 5 and with 40 members of each kind, and the section
    builds a member only for the rows it shows."""
    from django.db import connection
    from django.db.models.signals import post_init
    from django.test.utils import CaptureQueriesContext

    from members.models import MemberLeave

    no_later = dict(activist_on=None, candidate_on=None, probationary_on=None, full_on=None)

    lapsing = OrganizationFactory(park=world.park_a1, name="失联风险支部")
    full_members(7, organization=lapsing)  # a committee is due here at both sizes (a query of its own)

    def grow(n):
        for _i in range(n):
            MemberFactory(
                organization=world.branch_a1,
                stage=Stage.APPLICANT,
                applied_on=TODAY - datetime.timedelta(days=60),
                **no_later,
            )
            MemberFactory(
                organization=world.group_a1,
                stage=Stage.ACTIVIST,
                **{**no_later, "activist_on": TODAY - datetime.timedelta(days=400)},
            )
            MemberFactory(
                organization=world.branch_a2,
                stage=Stage.PROBATIONARY,
                **{**no_later, "probationary_on": TODAY - datetime.timedelta(days=380)},
            )
            lapsed = MemberFactory(organization=lapsing)
            registered_on(TODAY - datetime.timedelta(days=730), lapsed)
            transfer = Transfer.objects.create(
                member=lapsed, from_organization=lapsing, to_organization=world.branch_a1, reason="调动"
            )
            Transfer.objects.filter(pk=transfer.pk).update(requested_at=moment(TODAY - datetime.timedelta(days=10)))
        abroad = MemberFactory(organization=world.branch_a1)  # abroad since joining: checked one by one, not flagged
        registered_on(TODAY - datetime.timedelta(days=730), abroad)
        MemberLeave.objects.create(
            member=abroad,
            kind=MemberLeave.Kind.ABROAD,
            starts_on=TODAY - datetime.timedelta(days=700),
            arrangement="批准",
        )

    scope = StatScope.of(world.district_a)

    def section():
        return {g.code: g for g in alerts.alerts_for(world.official, scope, today=TODAY, first=alerts.SECTION_ROWS)}

    def page(code):
        rows = alerts.alerts_of_kind(world.official, scope, code, today=TODAY)
        return len(rows), rows[3:8]

    def costs():
        section(), [page(code) for code in HEAVY_KINDS]  # what is read once per user and request
        built = []

        def count(sender, instance, **kwargs):
            if instance.pk is not None:  # read from the database
                built.append(instance.pk)

        post_init.connect(count, sender=Member)
        try:
            with CaptureQueriesContext(connection) as queries:
                groups = section()
            cost = {"section": len(queries)}
            members_built = len(built)
            for code in HEAVY_KINDS:
                with CaptureQueriesContext(connection) as queries:
                    page(code)
                cost[code] = len(queries)
        finally:
            post_init.disconnect(count, sender=Member)
        return cost, {code: groups[code].count for code in HEAVY_KINDS}, members_built

    grow(5)
    small, small_counts, _built = costs()
    grow(35)
    big, big_counts, built = costs()
    assert big == small
    assert {code: big_counts[code] - small_counts[code] for code in HEAVY_KINDS} == {code: 35 for code in HEAVY_KINDS}
    # 40 members of each kind: only those of the rows shown are read (a transfer's row reads its member).
    assert built <= alerts.SECTION_ROWS * len(HEAVY_KINDS) < Member.objects.count()
    assert [len(section()[code].items) for code in HEAVY_KINDS] == [alerts.SECTION_ROWS] * len(HEAVY_KINDS)
    assert page("lapse_no_life")[0] == big_counts["lapse_no_life"] >= 40


def test_the_cached_member_counts_follow_every_change_of_a_member(world):
    """The branches' member counts by stage are cached between two writes to members; a member
    joining, changing stage or leaving is seen by the next view."""
    branch = OrganizationFactory(name="三人支部", park=world.park_a1)
    two = full_members(2, organization=branch)
    assert "三人支部" in subjects(world, "branch_too_small")  # 2 full members: too few; now cached
    third = MemberFactory(organization=branch)
    assert "三人支部" not in subjects(world, "branch_too_small")
    third.stage, third.full_on = Stage.PROBATIONARY, None
    third.save()
    assert "三人支部" in subjects(world, "branch_too_small")
    third.stage, third.full_on = Stage.FULL, TODAY
    third.save()
    assert "三人支部" not in subjects(world, "branch_too_small")
    two[0].delete()
    assert "三人支部" in subjects(world, "branch_too_small")
    # Each scope its own entry: a park seen first does not stand in for its district.
    other = OrganizationFactory(name="另一园区支部", park=world.park_a2)
    full_members(3, organization=other)
    assert "三人支部" in subjects(world, "branch_too_small", scope=StatScope.of(world.park_a1))
    assert "另一园区支部" not in subjects(world, "branch_too_small")


def test_the_cached_full_members_of_each_enterprise_follow_every_change_of_a_member(world):
    """The full members employed by each enterprise are cached between two writes to members: a
    member joining, leaving the enterprise or changing stage is seen by the next view."""
    firm = EnterpriseFactory(name="三人企业", park=world.park_a1)
    two = full_members(2, organization=world.branch_a2, employer=firm)
    assert "三人企业" not in subjects(world, "enterprise_without_branch")  # 2 full members; now cached
    third = MemberFactory(organization=world.branch_a2, employer=firm)
    assert "三人企业" in subjects(world, "enterprise_without_branch")
    third.stage, third.full_on = Stage.PROBATIONARY, None
    third.save()
    assert "三人企业" not in subjects(world, "enterprise_without_branch")
    third.stage, third.full_on = Stage.FULL, TODAY
    third.save()
    assert "三人企业" in subjects(world, "enterprise_without_branch")
    two[0].employer = EnterpriseFactory(park=world.park_a1)
    two[0].save()
    assert "三人企业" not in subjects(world, "enterprise_without_branch")
    # Each scope its own entry: a park seen first does not stand in for its district.
    elsewhere = EnterpriseFactory(name="另一园区企业", park=world.park_a2)
    full_members(3, organization=world.branch_a2, employer=elsewhere)
    assert subjects(world, "enterprise_without_branch", scope=StatScope.of(world.park_a1)) == []
    assert "另一园区企业" in subjects(world, "enterprise_without_branch")


def test_enterprises_without_a_branch_are_listed_by_name_on_every_page(world):
    from parks.models import Enterprise

    for i in range(23):
        full_members(
            3,
            organization=world.branch_a2,
            employer=EnterpriseFactory(name=f"待建企业{(i * 7) % 23:02d}", park=world.park_a1),
        )
    listed = alerts.alerts_of_kind(
        world.official, StatScope.of(world.district_a), "enterprise_without_branch", today=TODAY
    )
    expected = list(
        Enterprise.objects.filter(name__startswith="待建企业").order_by("name", "pk").values_list("name", flat=True)
    )
    assert len(listed) == 23
    assert [a.subject for a in listed[0:10]] + [a.subject for a in listed[10:23]] == expected
    section = {
        g.code: g for g in alerts.alerts_for(world.official, StatScope.of(world.district_a), today=TODAY, first=5)
    }
    assert [a.subject for a in section["enterprise_without_branch"].items] == expected[:5]
    assert section["enterprise_without_branch"].count == 23
